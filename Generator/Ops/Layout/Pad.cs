using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Pad. Opset 2-10: 'pads' and 'value' attributes; 11+: a constant pads input and an optional
/// constant_value input; 18+: an optional constant axes input (pads then list only those axes). Modes:
/// constant, reflect, edge, and wrap (19+). Negative pads crop first (as ONNX Runtime does), then the
/// positive pads are applied to what is left. The whole op is one index map per dimension (input offset, or -1
/// for the constant), computed here and used both for folding and by the run-time <c>Layout.Pad</c>.
/// </summary>
internal sealed class PadOp : OpSchema
{
    public override string OpType => "Pad";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    protected override bool HasFolding => true;

    private enum Mode { Constant, Reflect, Edge, Wrap }

    private static Mode GetMode(OpContext c)
    {
        string m = c.Str("mode", "constant");
        return m switch
        {
            "constant" => Mode.Constant,
            "reflect" => Mode.Reflect,
            "edge" => Mode.Edge,
            "wrap" when c.Opset >= 19 => Mode.Wrap,
            _ => throw new ModelError($"unknown pad mode '{m}' (expected constant, reflect, edge{(c.Opset >= 19 ? " or wrap" : "")})"),
        };
    }

    /// <summary>Begin and end pads for every dimension of the input.</summary>
    private static (long[] Begin, long[] End) Pads(OpContext c)
    {
        int rank = c.Rank(0);
        long[] pads;
        int[] axes;
        if (c.Opset < 11)
        {
            pads = c.Ints("pads") ?? throw new ModelError("the 'pads' attribute is missing");
            axes = Enumerable.Range(0, rank).ToArray();
        }
        else
        {
            c.RequireInputs(2);
            pads = c.RequireConst(1, "the pads").ToLongs();
            axes = c.Opset >= 18 && c.Has(3)
                ? LayoutArgs.Axes(c.RequireConst(3, "the pad axes").ToLongs(), rank)
                : Enumerable.Range(0, rank).ToArray();
        }
        if (pads.Length != 2 * axes.Length)
            throw new ModelError($"pads [{Node.Describe(pads)}] should have {2 * axes.Length} entries (begin and end for {axes.Length} axes)");
        var begin = new long[rank];
        var end = new long[rank];
        for (int k = 0; k < axes.Length; k++)
        {
            begin[axes[k]] = pads[k];
            end[axes[k]] = pads[k + axes.Length];
        }
        return (begin, end);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var x = c.Shape(0);
        var mode = GetMode(c);
        var (begin, end) = Pads(c);
        var y = new int[x.Length];
        for (int d = 0; d < x.Length; d++)
        {
            long n = x[d] + begin[d] + end[d];
            if (n < 0) throw new ModelError($"pads {begin[d]},{end[d]} crop more than the {x[d]} elements of axis {d}");
            long kept = x[d] + Math.Min(0, begin[d]) + Math.Min(0, end[d]);
            if (mode != Mode.Constant && kept == 0 && n > 0) throw new ModelError($"{mode.ToString().ToLowerInvariant()} padding needs at least one element on axis {d}");
            y[d] = ShapeText.CheckedInt(n);
        }
        if (c.Opset >= 11 && c.Has(2) && c.Type(2) != c.Type(0))
            throw new ModelError($"constant_value has type {c.Type(2).OnnxName()} but the data is {c.Type(0).OnnxName()}");
        c.SetOutput(0, c.Type(0), y);
    }

    /// <summary>
    /// The map the kernel walks: padded output dimensions (trailing unpadded dimensions merged into
    /// contiguous blocks of <c>Inner</c> elements) and, per dimension, the input offset of each index or -1.
    /// </summary>
    private static (int[] Dims, int[] Map, int Inner) Plan(OpContext c)
    {
        var x = c.Shape(0);
        var y = c.Node.Output(0)!.Shape!;
        var (begin, end) = Pads(c);
        var mode = GetMode(c);
        var strides = ShapeText.Strides(x);
        int padded = x.Length;
        while (padded > 0 && begin[padded - 1] == 0 && end[padded - 1] == 0) padded--;
        int inner = (int)ShapeText.Product(x, padded, x.Length);
        var dims = new List<int>();
        var map = new List<int>();
        for (int d = 0; d < padded; d++)
        {
            if (begin[d] == 0 && end[d] == 0)
            {
                // An unpadded dimension: identity map; merged with an unpadded neighbour before it (one loop, not two).
                bool merge = d > 0 && begin[d - 1] == 0 && end[d - 1] == 0;
                int n = merge ? dims[dims.Count - 1] * x[d] : x[d];
                if (merge)
                {
                    map.RemoveRange(map.Count - dims[dims.Count - 1], dims[dims.Count - 1]);
                    dims.RemoveAt(dims.Count - 1);
                }
                dims.Add(n);
                for (int i = 0; i < n; i++) map.Add(i * strides[d]);
                continue;
            }
            dims.Add(y[d]);
            int cropBegin = (int)Math.Max(0, -begin[d]);
            int kept = (int)(x[d] + Math.Min(0, begin[d]) + Math.Min(0, end[d]));
            int before = (int)Math.Max(0, begin[d]);
            for (int o = 0; o < y[d]; o++)
            {
                int i = o - before;
                if (i < 0 || i >= kept)
                {
                    switch (mode)
                    {
                        case Mode.Constant: i = -1; break;
                        case Mode.Edge: i = i < 0 ? 0 : kept - 1; break;
                        case Mode.Wrap: i = ((i % kept) + kept) % kept; break;
                        case Mode.Reflect:
                            if (kept == 1) { i = 0; break; }
                            int period = 2 * (kept - 1);
                            i = ((i % period) + period) % period;
                            if (i >= kept) i = period - i;
                            break;
                    }
                }
                map.Add(i < 0 ? -1 : (cropBegin + i) * strides[d]);
            }
        }
        return (dims.ToArray(), map.ToArray(), inner);
    }

    public override bool CanFold(OpContext c) => c.Const(0) is not null && (!c.Has(2) || c.Const(2) is not null) && c.Type(0).BitSize() >= 8;

    /// <summary>The pad value as a one-element tensor of the data's type, or null when it is only known at run time.</summary>
    private static Tensor? ConstantValue(OpContext c)
    {
        var type = c.Type(0);
        if (c.Opset < 11) return Tensor.ScalarOf(type, c.Float("value", 0));
        if (!c.Has(2)) return Tensor.ScalarOf(type, 0);
        return c.Const(2);
    }

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var y = c.Node.Output(0)!;
        int size = Folding.MovableElementSize(x.Type);
        var value = ConstantValue(c)!;
        var (dims, map, inner) = Plan(c);
        var raw = new byte[y.Type.ByteSize(y.ElementCount)];
        long rows = ShapeText.Product(dims);
        var index = new int[dims.Length];
        for (long r = 0; r < rows; r++)
        {
            int src = 0, start = 0;
            for (int d = 0; d < dims.Length && src >= 0; d++)
            {
                int m = map[start + index[d]];
                src = m < 0 ? -1 : src + m;
                start += dims[d];
            }
            for (int k = 0; k < inner; k++)
            {
                if (src < 0) Buffer.BlockCopy(value.Raw, 0, raw, (int)((r * inner + k) * size), size);
                else Buffer.BlockCopy(x.Raw, (src + k) * size, raw, (int)((r * inner + k) * size), size);
            }
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
        }
        return new[] { new Tensor(y.Type, y.Shape!, raw) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var (dims, map, inner) = Plan(c);
        if (dims.Length == 0) return new AliasKernel(c.Node); // nothing padded or cropped
        var mode = GetMode(c);
        var constant = ConstantValue(c);
        string summary = mode == Mode.Constant ? "constant" : mode.ToString().ToLowerInvariant();
        var (begin, end) = Pads(c);
        summary += $" pads {Node.Describe(begin)} / {Node.Describe(end)}";
        return new CallKernel(c.Node, w =>
        {
            string value = mode != Mode.Constant ? "default" : constant is not null ? LayoutArgs.ScalarLiteral(c.Type(0), constant) : $"{w.In(2)}[0]";
            w.Line($"global::ModelCompiler.Runtime.Layout.Pad<{t}>({w.In(0)}, {w.Out(0)}, {LayerWriter.Shape(dims)}, {LayerWriter.Shape(map)}, {inner}, {value});");
        }, summary);
    }
}
