using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelCompiler.Runtime;

/// <summary>
/// com.microsoft QLinearAdd and QLinearMul with numpy broadcasting. The float32 arithmetic follows ONNX
/// Runtime's x64 kernels step for step, so results match it bit for bit (the ONNX formula
/// C = (A_scale (A - A_zp) op B_scale (B - B_zp)) / C_scale + C_zp, rounded half to even, saturated):
/// <list type="bullet">
/// <item>Add: rA = sA / sC, rB = sB / sC, f = zC - (rA zA + rB zB); c = fma(a, rA, fma(b, rB, f)). Where one
/// input is constant along the innermost run it is folded into f first (f + b rB, not fused) and the other
/// is the fma; when A is the constant one the roles of A and B swap.</item>
/// <item>Mul: the exact int32 product (a - zA)(b - zB), times m = sA sB / sC, plus zC, in float32.</item>
/// </list>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class QuantizedElementwise
{
    private const int MaxRank = 8;

    /// <summary>QLinearAdd; empty zero points are 0; scales and zero points are single values.</summary>
    public static void QLinearAdd<T>(ReadOnlySpan<T> a, ReadOnlySpan<float> aScale, ReadOnlySpan<T> aZeroPoint, ReadOnlySpan<int> aShape,
        ReadOnlySpan<T> b, ReadOnlySpan<float> bScale, ReadOnlySpan<T> bZeroPoint, ReadOnlySpan<int> bShape,
        ReadOnlySpan<float> cScale, ReadOnlySpan<T> cZeroPoint, Span<T> c, ReadOnlySpan<int> cShape) where T : unmanaged =>
        Binary(a, aScale, aZeroPoint, aShape, b, bScale, bZeroPoint, bShape, cScale, cZeroPoint, c, cShape, mul: false);

    /// <summary>QLinearMul; empty zero points are 0; scales and zero points are single values.</summary>
    public static void QLinearMul<T>(ReadOnlySpan<T> a, ReadOnlySpan<float> aScale, ReadOnlySpan<T> aZeroPoint, ReadOnlySpan<int> aShape,
        ReadOnlySpan<T> b, ReadOnlySpan<float> bScale, ReadOnlySpan<T> bZeroPoint, ReadOnlySpan<int> bShape,
        ReadOnlySpan<float> cScale, ReadOnlySpan<T> cZeroPoint, Span<T> c, ReadOnlySpan<int> cShape) where T : unmanaged =>
        Binary(a, aScale, aZeroPoint, aShape, b, bScale, bZeroPoint, bShape, cScale, cZeroPoint, c, cShape, mul: true);

    private readonly struct Params
    {
        public readonly float SA, SB, SC;
        public readonly int ZA, ZB, ZC, Min, Max;
        public Params(float sa, int za, float sb, int zb, float sc, int zc, int min, int max)
        {
            SA = sa; ZA = za; SB = sb; ZB = zb; SC = sc; ZC = zc; Min = min; Max = max;
        }
    }

    private static void Binary<T>(ReadOnlySpan<T> a, ReadOnlySpan<float> aScale, ReadOnlySpan<T> aZeroPoint, ReadOnlySpan<int> aShape,
        ReadOnlySpan<T> b, ReadOnlySpan<float> bScale, ReadOnlySpan<T> bZeroPoint, ReadOnlySpan<int> bShape,
        ReadOnlySpan<float> cScale, ReadOnlySpan<T> cZeroPoint, Span<T> c, ReadOnlySpan<int> cShape, bool mul) where T : unmanaged
    {
        if (aScale.Length != 1 || bScale.Length != 1 || cScale.Length != 1 || aZeroPoint.Length > 1 || bZeroPoint.Length > 1 || cZeroPoint.Length > 1)
            throw new ArgumentException("QLinearAdd/QLinearMul: scales and zero points must be single values");
        var p = new Params(aScale[0], aZeroPoint.IsEmpty ? 0 : Requantize.Widen(aZeroPoint[0]),
            bScale[0], bZeroPoint.IsEmpty ? 0 : Requantize.Widen(bZeroPoint[0]),
            cScale[0], cZeroPoint.IsEmpty ? 0 : Requantize.Widen(cZeroPoint[0]), Requantize.Min<T>(), Requantize.Max<T>());

        // As ONNX Runtime: a whole-tensor scalar input takes the scalar path everywhere.
        if (a.Length == 1 && c.Length >= 1) { Run(b, a, c, p, mode: Mode.AScalar, mul); return; }
        if (b.Length == 1) { Run(a, b, c, p, mode: Mode.BScalar, mul); return; }
        if (a.Length == c.Length && b.Length == c.Length) { Run(a, b, c, p, Mode.Both, mul); return; }

        Span<int> dims = stackalloc int[MaxRank];
        Span<int> sa = stackalloc int[MaxRank];
        Span<int> sb = stackalloc int[MaxRank];
        int rank = Broadcast.Collapse(cShape, aShape, bShape, dims, sa, sb);
        int inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        int offA = 0, offB = 0;
        for (int outer = 0; outer < c.Length; outer += inner)
        {
            Span<T> row = c.Slice(outer, inner);
            if (ia == 1 && ib == 1) Run(a.Slice(offA, inner), b.Slice(offB, inner), row, p, Mode.Both, mul);
            else if (ia == 1) Run(a.Slice(offA, inner), b.Slice(offB, 1), row, p, Mode.BScalar, mul);
            else Run(b.Slice(offB, ib == 1 ? inner : 1), a.Slice(offA, 1), row, p, Mode.AScalar, mul);
            for (int d = rank - 2; d >= 0; d--)
            {
                index[d]++;
                offA += sa[d];
                offB += sb[d];
                if (index[d] < dims[d]) break;
                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    private enum Mode { Both, BScalar, AScalar }

    /// <summary>
    /// Both: c[i] = f(x[i], s[i]); BScalar: x is A, s[0] is B; AScalar: x is B (a span, or one value repeated when
    /// both are scalar), s[0] is A.
    /// </summary>
    private static void Run<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> s, Span<T> c, in Params p, Mode mode, bool mul) where T : unmanaged
    {
        if (mul)
        {
            float m = p.SA * p.SB / p.SC;
            float zc = p.ZC;
            int start = mode == Mode.Both ? Vectorized.Mul(x, s, c, m, p) : 0;
            for (int i = start; i < c.Length; i++)
            {
                int xa, xb;
                switch (mode)
                {
                    case Mode.Both: xa = Requantize.Widen(x[i]); xb = Requantize.Widen(s[i]); break;
                    case Mode.BScalar: xa = Requantize.Widen(x[i]); xb = Requantize.Widen(s[0]); break;
                    default: xa = Requantize.Widen(s[0]); xb = Requantize.Widen(x[x.Length == 1 ? 0 : i]); break;
                }
                int product = (xa - p.ZA) * (xb - p.ZB);
                c[i] = Saturate<T>((float)product * m + zc, p);
            }
            return;
        }

        float rA = p.SA / p.SC, rB = p.SB / p.SC;
        switch (mode)
        {
            case Mode.Both:
            {
                float f = FixedPart(rA, p.ZA, rB, p.ZB, p.ZC);
                for (int i = Vectorized.Add(x, rA, s, rB, f, c, p); i < c.Length; i++)
                    c[i] = Saturate<T>(MathF.FusedMultiplyAdd(Requantize.Widen(x[i]), rA, MathF.FusedMultiplyAdd(Requantize.Widen(s[i]), rB, f)), p);
                break;
            }
            case Mode.BScalar:
            {
                float f = FixedPart(rA, p.ZA, rB, p.ZB, p.ZC) + (float)Requantize.Widen(s[0]) * rB;
                for (int i = Vectorized.Add(x, rA, default, 0, f, c, p); i < c.Length; i++) c[i] = Saturate<T>(MathF.FusedMultiplyAdd(Requantize.Widen(x[i]), rA, f), p);
                break;
            }
            default:
            {
                // ONNX Runtime swaps the inputs so that the scalar is its second one.
                float f = FixedPart(rB, p.ZB, rA, p.ZA, p.ZC) + (float)Requantize.Widen(s[0]) * rA;
                int start = x.Length == 1 ? 0 : Vectorized.Add(x, rB, default, 0, f, c, p);
                for (int i = start; i < c.Length; i++) c[i] = Saturate<T>(MathF.FusedMultiplyAdd(Requantize.Widen(x[x.Length == 1 ? 0 : i]), rB, f), p);
                break;
            }
        }
    }

    /// <summary>
    /// The loops above, 16 (AVX-512) or 8 elements at a time (AVX2 and FMA), with the same float32 operations in the same order:
    /// vfmadd is one rounding like MathF.FusedMultiplyAdd, and vcvtps2dq rounds half to even and turns NaN and
    /// out-of-range values into int.MinValue exactly as <see cref="Saturate{T}"/> does, before the same clamp.
    /// Each returns how many leading elements it wrote; the scalar loop finishes the rest.
    /// </summary>
    private static class Vectorized
    {
        private static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

        /// <summary>c[i] = fma(x[i], rx, fma(y[i], ry, f)), or fma(x[i], rx, f) when <paramref name="y"/> is empty.</summary>
        public static int Add<T>(ReadOnlySpan<T> x, float rx, ReadOnlySpan<T> y, float ry, float f, Span<T> c, in Params p) where T : unmanaged
        {
            int n = c.Length;
            if (!IsSupported || n < 8 || x.Length < n || (!y.IsEmpty && y.Length < n)) return 0;
            ref byte xs = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x));
            ref byte ys = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            ref byte cs = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(c));
            var vrx = Vector256.Create(rx);
            var vry = Vector256.Create(ry);
            var vf = Vector256.Create(f);
            var min = Vector256.Create(p.Min);
            var max = Vector256.Create(p.Max);
            int i = 0;
            if (Avx512F.IsSupported)
            {
                // 16 at a time; the same operations, then a saturating narrow (vcvtps2dq's int.MinValue for NaN
                // saturates to the minimum, as the clamp does).
                var wrx = Vector512.Create(rx);
                var wry = Vector512.Create(ry);
                var wf = Vector512.Create(f);
                for (; i <= n - 16; i += 16)
                {
                    var inner = y.IsEmpty ? wf : Avx512F.FusedMultiplyAdd(Load16<T>(ref ys, i), wry, wf);
                    Store16<T>(Avx512F.ConvertToVector512Int32(Avx512F.FusedMultiplyAdd(Load16<T>(ref xs, i), wrx, inner)), ref cs, i);
                }
            }
            for (; i <= n - 8; i += 8)
            {
                var inner = y.IsEmpty ? vf : Fma.MultiplyAdd(Load8<T>(ref ys, i), vry, vf);
                var v = Avx.ConvertToVector256Int32(Fma.MultiplyAdd(Load8<T>(ref xs, i), vrx, inner));
                Store8(Vector256.Min(Vector256.Max(v, min), max), ref cs, i);
            }
            return i;
        }

        /// <summary>c[i] = (float)((x[i] - zA)(y[i] - zB)) * m + zC, rounded and saturated.</summary>
        public static int Mul<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> c, float m, in Params p) where T : unmanaged
        {
            int n = c.Length;
            if (!IsSupported || n < 8 || x.Length < n || y.Length < n) return 0;
            ref byte xs = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x));
            ref byte ys = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(y));
            ref byte cs = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(c));
            var vm = Vector256.Create(m);
            var zc = Vector256.Create((float)p.ZC);
            var za = Vector256.Create(p.ZA);
            var zb = Vector256.Create(p.ZB);
            var min = Vector256.Create(p.Min);
            var max = Vector256.Create(p.Max);
            int i = 0;
            if (Avx512F.IsSupported)
            {
                var wm = Vector512.Create(m);
                var wzc = Vector512.Create((float)p.ZC);
                var wza = Vector512.Create(p.ZA);
                var wzb = Vector512.Create(p.ZB);
                for (; i <= n - 16; i += 16)
                {
                    var product = Avx512F.MultiplyLow(Widen16<T>(ref xs, i) - wza, Widen16<T>(ref ys, i) - wzb);
                    Store16<T>(Avx512F.ConvertToVector512Int32(Vector512.ConvertToSingle(product) * wm + wzc), ref cs, i);
                }
            }
            for (; i <= n - 8; i += 8)
            {
                var product = Avx2.MultiplyLow(Widen8<T>(ref xs, i) - za, Widen8<T>(ref ys, i) - zb);
                var v = Avx.ConvertToVector256Int32(Vector256.ConvertToSingle(product) * vm + zc);
                Store8(Vector256.Min(Vector256.Max(v, min), max), ref cs, i);
            }
            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Widen8<T>(ref byte source, int at)
        {
            var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref source, at))).AsByte();
            return typeof(T) == typeof(sbyte) ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Load8<T>(ref byte source, int at) => Vector256.ConvertToSingle(Widen8<T>(ref source, at));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Widen16<T>(ref byte source, int at)
        {
            var bytes = Vector128.LoadUnsafe(ref source, (nuint)at);
            return typeof(T) == typeof(sbyte) ? Avx512F.ConvertToVector512Int32(bytes.AsSByte()) : Avx512F.ConvertToVector512Int32(bytes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Load16<T>(ref byte source, int at) => Vector512.ConvertToSingle(Widen16<T>(ref source, at));

        /// <summary>16 rounded ints to 16 bytes, saturated to the 8-bit type's range.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16<T>(Vector512<int> v, ref byte target, int at)
        {
            var bytes = typeof(T) == typeof(sbyte)
                ? Avx512F.ConvertToVector128SByteWithSaturation(v).AsByte()
                : Avx512F.ConvertToVector128ByteWithSaturation(Vector512.Max(v, Vector512<int>.Zero).AsUInt32());
            bytes.StoreUnsafe(ref target, (nuint)at);
        }

        /// <summary>8 ints already in the 8-bit type's range to 8 bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store8(Vector256<int> v, ref byte target, int at)
        {
            var s = Vector128.Narrow(v.GetLower(), v.GetUpper());
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, at), Vector128.Narrow(s, s).AsUInt64().ToScalar());
        }
    }

    /// <summary>zC - (r1 z1 + r2 z2), each operation rounded to float32.</summary>
    internal static float FixedPart(float r1, int z1, float r2, int z2, int zc)
    {
        float t1 = r1 * z1;
        float t2 = r2 * z2;
        return zc - (t1 + t2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Saturate<T>(float v, in Params p) where T : unmanaged
    {
        // cvtps2dq rounds half to even; out-of-range floats give int.MinValue there, which saturates to the minimum.
        int r = float.IsNaN(v) || v >= 2147483648f || v < -2147483648f ? int.MinValue : (int)MathF.Round(v);
        return Quantization.FromInt<T>(Math.Clamp(r, p.Min, p.Max));
    }

    /// <summary>
    /// QLinearConcat: copies each input's rows along the axis into the output; inputs whose scale or zero point
    /// differ from the output's go through a 256-entry requantization table (null table: plain copy).
    /// <paramref name="outer"/> rows; this input contributes <paramref name="pitch"/> elements per row, written at
    /// <paramref name="offset"/> within each output row of <paramref name="outputPitch"/> elements.
    /// </summary>
    public static void ConcatRows<T>(ReadOnlySpan<T> x, ReadOnlySpan<byte> table, Span<T> y, int outer, int pitch, int outputPitch, int offset)
        where T : unmanaged
    {
        for (int r = 0; r < outer; r++)
        {
            var src = x.Slice(r * pitch, pitch);
            var dst = y.Slice(r * outputPitch + offset, pitch);
            if (table.IsEmpty) src.CopyTo(dst);
            else Quantization.Lookup(src, table, dst);
        }
    }

    /// <summary>QLinearConcat's rescaling with parameters known only at run time: copy when they match, else a table.</summary>
    public static void ConcatRowsDynamic<T>(ReadOnlySpan<T> x, ReadOnlySpan<float> xScale, ReadOnlySpan<T> xZeroPoint, ReadOnlySpan<float> yScale,
        ReadOnlySpan<T> yZeroPoint, Span<T> y, int outer, int pitch, int outputPitch, int offset) where T : unmanaged
    {
        int xz = xZeroPoint.IsEmpty ? 0 : Requantize.Widen(xZeroPoint[0]), yz = yZeroPoint.IsEmpty ? 0 : Requantize.Widen(yZeroPoint[0]);
        if (xScale[0] == yScale[0] && xz == yz)
        {
            ConcatRows(x, default, y, outer, pitch, outputPitch, offset);
            return;
        }
        Span<byte> table = stackalloc byte[256];
        Quantization.BuildTable<T>(xScale[0], xz, yScale[0], yz, Quantization.TableFunction.Identity, 0, table);
        ConcatRows(x, table, y, outer, pitch, outputPitch, offset);
    }
}
