using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using ModelCompiler.Ops;
using ModelCompiler.Passes;

namespace ModelCompiler.Kernels.MatrixProduct;

/// <summary>
/// Matrix products whose right operand is a constant (fully connected layers): Gemm with B constant (A not
/// transposed, or a single row), a bias C that is a scalar or one value per column, and MatMul with a constant
/// 2-D B (A's leading dimensions become rows). They run as <see cref="PackedGemmKernel"/>.
/// </summary>
internal sealed class GemmKernelProvider : IKernelProvider
{
    public int Priority => 100;

    public Kernel? TryCreate(OpContext c) =>
        GemmOperands.TryMatch(c) is { } g ? new PackedGemmKernel(c, g.M, g.N, g.K, g.TransposedB, g.Alpha, g.Bias, g.Summary) : null;
}

/// <summary>
/// A float Gemm/MatMul with a constant 2-D B that the constant-B kernels take (see <see cref="GemmKernelProvider"/>):
/// y[m, n] = alpha * A[m, k] * B[k, n] (B stored transposed when <see cref="TransposedB"/>) + bias[n].
/// </summary>
internal sealed record GemmOperands(int M, int N, int K, bool TransposedB, float Alpha, float[]? Bias, string Summary)
{
    public static GemmOperands? TryMatch(OpContext c)
    {
        var node = c.Node;
        if (node.Domain.Length != 0 || node.OpType is not ("Gemm" or "MatMul") || c.Type(0) != DataType.Float) return null;
        if (c.Const(1) is not { Type: DataType.Float } b || b.Shape.Length != 2) return null;
        int[] a = c.Shape(0);
        if (node.OpType == "Gemm")
        {
            bool ta = c.Int("transA", 0) != 0, tb = c.Int("transB", 0) != 0;
            int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], n = tb ? b.Shape[0] : b.Shape[1];
            if (ta && m != 1) return null; // a transposed single row is the same memory as the row
            float alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
            float[]? bias = null;
            if (c.Has(2) && beta != 0)
            {
                if (c.Const(2) is not { } cTensor) return null;
                int[] cs = cTensor.Shape;
                bool perColumn = cTensor.ElementCount == 1 || (cs[cs.Length - 1] == n && cs.Take(cs.Length - 1).All(d => d == 1));
                if (!perColumn) return null;
                var values = cTensor.ToFloats();
                bias = Enumerable.Range(0, n).Select(j => beta * values[values.Length == 1 ? 0 : j]).ToArray();
            }
            string summary = $"{m}x{k} * {k}x{n}{(ta ? ", A transposed" : "")}{(tb ? ", B transposed" : "")}";
            return new GemmOperands(m, n, k, tb, alpha, bias, summary);
        }
        else
        {
            if (a.Length < 1 || a[a.Length - 1] != b.Shape[0]) return null;
            int k = b.Shape[0], n = b.Shape[1];
            int m = (int)ShapeText.Product(a.Take(a.Length - 1).ToArray());
            float[]? bias = node.Epilogue?.Bias?.Constant?.ToFloats();
            string rows = a.Length > 2 ? $"{ShapeText.Format(a.Take(a.Length - 1).ToArray())} rows, " : "";
            return new GemmOperands(m, n, k, false, 1f, bias, $"{rows}{m}x{k} * {k}x{n}");
        }
    }
}

/// <summary>
/// Y = epilogue(A * B + bias) with B packed at build time into 16-column strips (alpha folded in) and the bias
/// padded to match (<c>PackedGemm.Multiply</c>).
/// </summary>
internal sealed class PackedGemmKernel : Kernel
{
    /// <summary>Below this a layer runs on one thread whatever the Threads option says.</summary>
    public const long MinimumMacsPerThreadedLayer = 2_000_000;

    private readonly int _m, _n, _k, _threads;
    private readonly string _summary;
    private readonly Tensor _packed;
    private readonly Tensor? _paddedBias;

    public PackedGemmKernel(OpContext c, int m, int n, int k, bool transposedB, float alpha, float[]? bias, string summary) : base(c.Node)
    {
        _m = m;
        _n = n;
        _k = k;
        _summary = Ops.Nn.ConvOp.WithFusion(c, summary);
        _threads = KernelText.Threads(c, Macs, MinimumMacsPerThreadedLayer);
        var b = c.Const(1)!;
        _packed = alpha == 1f
            ? WeightPacking.Pack(b, values => WeightLayouts.GemmStrips(values, k, n, transposedB),
                new WeightLayout(nameof(WeightLayouts.GemmStrips), $"k: {k}, n: {n}, transposed: {(transposedB ? "true" : "false")}", "packed into gemm strips"))
            : WeightPacking.ToTensor(WeightLayouts.GemmStrips(b.ToFloats(), k, n, transposedB, alpha));
        if (bias is not null) _paddedBias = WeightPacking.ToTensor(WeightLayouts.PadColumns(bias, n));
        string strips = $"in {WeightLayouts.StripWidth}-column strips [n/{WeightLayouts.StripWidth}][k][{WeightLayouts.StripWidth}]{(alpha != 1f ? ", alpha folded in" : "")}";
        var layouts = new List<WeightUse> { new(c.In(1).Name, strips) };
        if (bias is not null && c.Has(2) && c.In(2).IsConstant) layouts.Add(new WeightUse(c.In(2).Name, "padded to whole strips"));
        Layouts = layouts;
        Name = RuntimeApi.PackedGemm.Multiply;
        Threads = _threads;
    }

    public override string Summary => _summary;
    public override long Macs => (long)_m * _n * _k;

    public override void Emit(LayerWriter w)
    {
        string bias = _paddedBias is null ? "default" : w.Weight(_paddedBias);
        w.Line($"{KernelText.Runtime}{RuntimeApi.PackedGemm.Multiply}({w.In(0)}, {w.Weight(_packed)}, {bias}, {KernelText.Residual(w)}, {w.Out(0)}, m: {_m}, n: {_n}, k: {_k},");
        w.Line($"    {KernelText.Epilogue(w)}, threads: {_threads});");
    }
}
