using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops;

/// <summary>
/// Build-time evaluation helpers for constant folding. Floating-point math runs in double and is rounded
/// to the output type (exact for + - * / and sqrt on float32 inputs); integers run in long and wrap to
/// the output width like the run-time kernels do.
/// </summary>
internal static class Folding
{
    /// <summary>For each output element, the flat index of the broadcast input element.</summary>
    public static int[] BroadcastIndex(int[] inShape, int[] outShape)
    {
        int n = (int)ShapeText.Product(outShape);
        var map = new int[n];
        int rank = outShape.Length, offset = rank - inShape.Length;
        var inStrides = ShapeText.Strides(inShape);
        var idx = new int[rank];
        for (int i = 0; i < n; i++)
        {
            int flat = 0;
            for (int d = 0; d < inShape.Length; d++)
                if (inShape[d] != 1) flat += idx[d + offset] * inStrides[d];
            map[i] = flat;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return map;
    }

    /// <summary>Element-wise unary op: <paramref name="f"/> for float types, <paramref name="g"/> for integers.</summary>
    public static Tensor Unary(Tensor x, DataType outType, Func<double, double>? f, Func<long, long>? g)
    {
        if (x.Type.IsFloat())
        {
            if (f is null) throw new ModelError($"cannot fold this op on {x.Type.OnnxName()}");
            var v = x.ToDoubles();
            return Tensor.FromDoubles(outType, x.Shape, v.Select(f).ToArray());
        }
        if (g is null) throw new ModelError($"cannot fold this op on {x.Type.OnnxName()}");
        var l = x.ToLongs();
        return Tensor.FromLongs(outType, x.Shape, l.Select(g).ToArray());
    }

    /// <summary>Element-wise binary op with broadcasting.</summary>
    public static Tensor Binary(Tensor a, Tensor b, DataType outType, int[] outShape, Func<double, double, double>? f, Func<long, long, long>? g)
    {
        var ia = BroadcastIndex(a.Shape, outShape);
        var ib = BroadcastIndex(b.Shape, outShape);
        if (a.Type.IsFloat() || b.Type.IsFloat())
        {
            if (f is null) throw new ModelError($"cannot fold this op on {a.Type.OnnxName()}");
            var va = a.ToDoubles(); var vb = b.ToDoubles();
            var r = new double[ia.Length];
            for (int i = 0; i < r.Length; i++) r[i] = f(va[ia[i]], vb[ib[i]]);
            if (a.Type == DataType.Float) for (int i = 0; i < r.Length; i++) r[i] = (float)r[i];
            return Tensor.FromDoubles(outType, outShape, r);
        }
        if (g is null) throw new ModelError($"cannot fold this op on {a.Type.OnnxName()}");
        var la = a.ToLongs(); var lb = b.ToLongs();
        var q = new long[ia.Length];
        for (int i = 0; i < q.Length; i++) q[i] = g(la[ia[i]], lb[ib[i]]);
        return Tensor.FromLongs(outType, outShape, q);
    }

    /// <summary>
    /// Strided copy over raw element bytes (any type of 8 bits or more), the build-time twin of the runtime's
    /// <c>Layout.Copy</c>: for every index i over <paramref name="dims"/>,
    /// element <c>yOffset + Σ i[d]·yStrides[d]</c> of <paramref name="y"/> = element <c>xOffset + Σ i[d]·xStrides[d]</c> of <paramref name="x"/>.
    /// </summary>
    public static void StridedCopy(byte[] x, int xOffset, int[] xStrides, byte[] y, int yOffset, int[] yStrides, int[] dims, int elementSize)
    {
        int rank = dims.Length;
        long count = ShapeText.Product(dims);
        if (count == 0) return;
        // A last dimension contiguous on both sides is copied as one run per row.
        int run = rank > 0 && xStrides[rank - 1] == 1 && yStrides[rank - 1] == 1 ? dims[rank - 1] : 1;
        int loops = run > 1 ? rank - 1 : rank;
        var index = new int[rank];
        int xo = xOffset, yo = yOffset;
        for (long n = 0; n < count; n += run)
        {
            Buffer.BlockCopy(x, xo * elementSize, y, yo * elementSize, run * elementSize);
            for (int d = loops - 1; d >= 0; d--)
            {
                xo += xStrides[d];
                yo += yStrides[d];
                if (++index[d] < dims[d]) break;
                xo -= xStrides[d] * dims[d];
                yo -= yStrides[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Bytes per element for build-time data movement; sub-byte types (int4) cannot be moved element-wise.</summary>
    public static int MovableElementSize(DataType type) =>
        type.BitSize() >= 8 ? type.ElementSize() : throw new ModelError($"cannot rearrange {type.OnnxName()} tensors at build time");

    /// <summary>Copies elements (any type) by index map: output element i = input element map[i].</summary>
    public static Tensor Gather(Tensor x, int[] outShape, int[] map)
    {
        if (x.Type.BitSize() < 8) throw new ModelError("cannot rearrange sub-byte tensors at build time");
        int size = x.Type.ElementSize();
        var raw = new byte[map.Length * size];
        for (int i = 0; i < map.Length; i++) Buffer.BlockCopy(x.Raw, map[i] * size, raw, i * size, size);
        return new Tensor(x.Type, outShape, raw);
    }
}
