using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops.Nn;

namespace ModelCompiler.Ops.Quantization;

/// <summary>
/// What QLinearMatMul and MatMulInteger share: numpy matmul shapes and the build-time packing of a constant
/// 2-D B (see <c>ModelCompiler.Runtime.QuantizedMatMul</c>): [K/4][N rounded up to 16] ints of int8 (uint8 B
/// shifted by -128), and per column term = -a_zp' * sum(b') + K * a_zp' * b_zp'.
/// </summary>
internal static class QuantMatMul
{
    public sealed class Prepared
    {
        public sbyte[] Packed = System.Array.Empty<sbyte>();
        public int[] Terms = System.Array.Empty<int>();
        public int[]? ZeroPoints;
    }

    /// <summary>
    /// Whether B is packed in panels of 64 columns: for a single row of A (a classifier's input vector), whose
    /// product streams B once (see <c>QuantizedMatMul.PanelColumns</c>).
    /// </summary>
    public static bool Panels(MatMulPlan p) => p.AOffsets.Length * p.M == 1;

    /// <summary>The argument that tells the run-time kernel which packing B has.</summary>
    public static string PanelsArgument(MatMulPlan p) => Panels(p) ? ", panels: true" : "";

    /// <summary>True when B is the same matrix for every output batch (2-D, or leading dimensions of 1).</summary>
    public static bool SharedB(MatMulPlan p) => p.BOffsets.All(o => o == 0) && p.AOffsets.Select((o, i) => o == i * p.M * p.K).All(v => v);

    public static Prepared Prepare(MatMulPlan p, Tensor b, Tensor? bZeroPoint, long aZeroPoint, bool aSigned)
    {
        int n = p.N, k = p.K, kq = (k + 3) / 4;
        bool panels = Panels(p);
        int ldb = panels ? (n + 63) / 64 * 64 : (n + 15) / 16 * 16;
        int shift = b.Type == DataType.UInt8 ? 128 : 0;
        var packed = new sbyte[kq * ldb * 4];
        var sums = new long[n];
        for (int kk = 0; kk < k; kk++)
        {
            for (int c = 0; c < n; c++)
            {
                long v = b.GetLong((long)kk * n + c) - shift;
                // [K/4][N] ints, or panels of 64 columns: [N/64][K/4][64] (QuantizedMatMul.PanelColumns).
                int at = panels ? ((c / 64 * kq + (kk >> 2)) * 64 + c % 64) * 4 + (kk & 3) : ((kk >> 2) * ldb + c) * 4 + (kk & 3);
                packed[at] = (sbyte)v;
                sums[c] += v;
            }
        }
        long az = aZeroPoint + (aSigned ? 128 : 0);
        var zeroPoints = new int[n];
        var terms = new int[n];
        for (int c = 0; c < n; c++)
        {
            long bz = (bZeroPoint is null ? 0 : bZeroPoint.GetLong(bZeroPoint.ElementCount == 1 ? 0 : c)) - shift;
            zeroPoints[c] = (int)bz;
            terms[c] = unchecked((int)(-az * sums[c] + k * az * bz));
        }
        return new Prepared { Packed = packed, Terms = terms, ZeroPoints = zeroPoints.Any(z => z != 0) ? zeroPoints : null };
    }

    /// <summary>Per-row parameters of A ([M], or [..., M, 1] with one row set) or per-column ones of B ([N] or [..., 1, N]).</summary>
    public static void CheckParameter(OpContext c, int i, string what, int rowsOrColumns, bool rows)
    {
        if (!c.Has(i)) return;
        long count = ShapeText.Product(c.Shape(i));
        if (count != 1 && count != rowsOrColumns)
            throw new ModelError($"{what} (input {i}) has shape {ShapeText.Format(c.Shape(i))}; expected a single value (per tensor) or {rowsOrColumns} (one per {(rows ? "row of a" : "column of b")})");
    }

    public static string Describe(MatMulPlan p) => $"{(p.AOffsets.Length > 1 ? $"{p.AOffsets.Length} x " : "")}{p.M}x{p.K} * {p.K}x{p.N}";
}

/// <summary>
/// ONNX QLinearMatMul (opset 10/21): numpy matmul of uint8/int8 a and b (a per tensor or per row, b per tensor or
/// per column), int32 accumulation, requantized with float32 (a_scale * b_scale) / y_scale rounding half to even,
/// as ONNX Runtime. A constant B is packed at build time; float16 scales (opset 21) run on the run-time path.
/// </summary>
internal sealed class QLinearMatMulOp : OpSchema
{
    public override string OpType => "QLinearMatMul";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(8);
        Quant.RequireEightBit(c, 0, "a");
        Quant.RequireEightBit(c, 3, "b");
        Quant.RequireEightBit(c, 7, "y_zero_point");
        Quant.RequireType(c, 2, c.Type(0), "a_zero_point");
        Quant.RequireType(c, 5, c.Type(3), "b_zero_point");
        var ts = c.Type(1);
        if (!(ts == DataType.Float || c.Opset >= 21 && ts == DataType.Float16))
            throw new ModelError($"a_scale has type {ts.OnnxName()}; expected float32{(c.Opset >= 21 ? " or float16" : "")}");
        Quant.RequireType(c, 4, ts, "b_scale");
        Quant.RequireType(c, 6, ts, "y_scale");
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(3));
        QuantMatMul.CheckParameter(c, 1, "a_scale", p.M, rows: true);
        QuantMatMul.CheckParameter(c, 2, "a_zero_point", p.M, rows: true);
        QuantMatMul.CheckParameter(c, 4, "b_scale", p.N, rows: false);
        QuantMatMul.CheckParameter(c, 5, "b_zero_point", p.N, rows: false);
        Quant.CheckSingle(c, 6, "y_scale");
        Quant.CheckSingle(c, 7, "y_zero_point");
        c.SetOutput(0, c.Type(7), p.OutShape);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(3));
        string ta = c.Type(0).CSharpName()!, tb = c.Type(3).CSharpName()!, ty = c.Type(7).CSharpName()!, ts = c.Type(1).CSharpName()!;
        long macs = (long)p.AOffsets.Length * p.M * p.N * p.K;
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(3).OnnxName()} ({Quant.Granularity(c, 4)}) -> {c.Type(7).OnnxName()}, {QuantMatMul.Describe(p)}";
        bool buildTime = c.Type(1) == DataType.Float && QuantMatMul.SharedB(p) && Quant.AllConstant(c, 1, 2, 3, 4, 5, 6, 7)
            && ShapeText.Product(c.Shape(1)) == 1 && ShapeText.Product(c.Shape(2)) == 1;
        if (!buildTime)
        {
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}QuantizedMatMul.QLinearMatMulDynamic<{ta}, {tb}, {ty}, {ts}>({w.In(0)}, {w.In(1)}, {w.In(2)}, {w.In(3)}, {w.In(4)}, {w.In(5)}, {w.In(6)}, {w.In(7)}, {w.Out(0)}, " +
                $"m: {p.M}, n: {p.N}, k: {p.K}, {Literals.IntSpan(p.AOffsets)}, {Literals.IntSpan(p.BOffsets)});"),
                summary + ", parameters at run time", macs);
        }
        float aScale = (float)c.Const(1)!.GetDouble(0), yScale = (float)c.Const(6)!.GetDouble(0);
        long az = c.Const(2)!.GetLong(0), yz = c.Const(7)!.GetLong(0);
        var multipliers = Quant.FloatTensor(Quant.Floats(c.Const(4)!).Select(bs => Quant.Multiplier(aScale, bs, yScale)).ToArray());
        var prepared = QuantMatMul.Prepare(p, c.Const(3)!, c.Const(5), az, c.Type(0) == DataType.Int8);
        var packed = Quant.Int8Tensor(prepared.Packed);
        var terms = Quant.Int32Tensor(prepared.Terms);
        var zeroPoints = prepared.ZeroPoints is null ? null : Quant.Int32Tensor(prepared.ZeroPoints);
        int rows = p.AOffsets.Length * p.M;
        return new CallKernel(c.Node, w =>
        {
            string zps = zeroPoints is null ? "default" : w.Weight(zeroPoints);
            w.Line($"{Quant.Runtime}QuantizedMatMul.QLinearMatMul<{ta}, {ty}>({w.In(0)}, {az}, {w.Weight(packed)}, {zps}, {w.Weight(terms)}, {w.Weight(multipliers)}, {yz}, {w.Out(0)}, m: {rows}, n: {p.N}, k: {p.K}{QuantMatMul.PanelsArgument(p)});");
        }, summary, macs);
    }
}

/// <summary>
/// ONNX MatMulInteger (opset 10): int32 numpy matmul of (a - a_zero_point) and (b - b_zero_point), uint8/int8
/// inputs, zero points optional (a per tensor or per row, b per tensor or per column). A constant B is packed
/// at build time.
/// </summary>
internal sealed class MatMulIntegerOp : OpSchema
{
    public override string OpType => "MatMulInteger";

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        Quant.RequireEightBit(c, 0, "A");
        Quant.RequireEightBit(c, 1, "B");
        Quant.RequireType(c, 2, c.Type(0), "a_zero_point");
        Quant.RequireType(c, 3, c.Type(1), "b_zero_point");
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(1));
        QuantMatMul.CheckParameter(c, 2, "a_zero_point", p.M, rows: true);
        QuantMatMul.CheckParameter(c, 3, "b_zero_point", p.N, rows: false);
        c.SetOutput(0, DataType.Int32, p.OutShape);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = MatMulPlan.Of(c.Shape(0), c.Shape(1));
        string ta = c.Type(0).CSharpName()!, tb = c.Type(1).CSharpName()!;
        long macs = (long)p.AOffsets.Length * p.M * p.N * p.K;
        string summary = $"{c.Type(0).OnnxName()} x {c.Type(1).OnnxName()} -> int32, {QuantMatMul.Describe(p)}";
        bool buildTime = QuantMatMul.SharedB(p) && Quant.AllConstant(c, 1, 2, 3) && (!c.Has(2) || ShapeText.Product(c.Shape(2)) == 1);
        if (!buildTime)
        {
            return new CallKernel(c.Node, w => w.Line(
                $"{Quant.Runtime}QuantizedMatMul.MatMulIntegerDynamic<{ta}, {tb}>({w.In(0)}, {Quant.InOrDefault(w, 2)}, {w.In(1)}, {Quant.InOrDefault(w, 3)}, {w.Out(0)}, " +
                $"m: {p.M}, n: {p.N}, k: {p.K}, {Literals.IntSpan(p.AOffsets)}, {Literals.IntSpan(p.BOffsets)});"),
                summary + ", B at run time", macs);
        }
        long az = c.Const(2)?.GetLong(0) ?? 0;
        var prepared = QuantMatMul.Prepare(p, c.Const(1)!, c.Const(3), az, c.Type(0) == DataType.Int8);
        var packed = Quant.Int8Tensor(prepared.Packed);
        var terms = Quant.Int32Tensor(prepared.Terms);
        var zeroPoints = prepared.ZeroPoints is null ? null : Quant.Int32Tensor(prepared.ZeroPoints);
        int rows = p.AOffsets.Length * p.M;
        return new CallKernel(c.Node, w =>
        {
            string zps = zeroPoints is null ? "default" : w.Weight(zeroPoints);
            w.Line($"{Quant.Runtime}QuantizedMatMul.MatMulInteger<{ta}>({w.In(0)}, {az}, {w.Weight(packed)}, {zps}, {w.Weight(terms)}, {w.Out(0)}, m: {rows}, n: {p.N}, k: {p.K}{QuantMatMul.PanelsArgument(p)});");
        }, summary, macs);
    }
}
