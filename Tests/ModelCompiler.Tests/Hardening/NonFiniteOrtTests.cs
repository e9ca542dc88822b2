using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ModelCompiler.Graph;
using ModelCompiler.Tests.Elementwise;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Hardening;

/// <summary>
/// NaN and ±infinity at run time give what ONNX Runtime 1.31.1 gives, per op family: convolutions (packed,
/// depthwise, 1x1, grouped, with a fused activation), matrix products, pooling (max pool with NaN in the first,
/// a middle and every position of a window), activations, reductions and ArgMax/ArgMin, softmax, quantization.
/// Each case is one node whose first input holds NaN, +inf and -inf among ordinary values (weights ordinary
/// constants). Float outputs within 1e-6 + 1e-4·|expected| with NaN matching NaN and infinities exact
/// (<see cref="Compare.Close"/>); integer outputs exact. Max pooling and ReduceMax/ReduceMin/ReduceLogSumExp propagate
/// NaN: their windows mixing NaN and numbers are checked against a reference written here instead (ONNX Runtime's
/// answer there depends on the NaN's position, <see cref="Onnx_runtime_max_with_NaN_depends_on_where_the_NaN_is"/>),
/// every other window against ONNX Runtime. Element-wise ops (Min, Max, Clip, Relu, comparisons...) with NaN are in
/// <see cref="ElementwiseOrtTests"/>.
/// </summary>
public sealed class NonFiniteOrtTests
{
    private const int F = (int)DataType.Float;

    /// <summary>Values in [-3, 3) with NaN, +inf and -inf at the given flat positions (every third one of each).</summary>
    private static TensorData Specials(string name, int[] shape, uint seed, params int[] at)
    {
        var v = OnnxModelBuilder.RandomFloats(shape.Aggregate(1, (a, d) => a * d), seed).Select(x => x * 3).ToArray();
        for (int k = 0; k < at.Length; k++)
            v[at[k] % v.Length] = (k % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
        return new TensorData(name, F, shape, v);
    }

    private static TensorData Weights(string name, int[] shape, uint seed) =>
        new(name, F, shape, OnnxModelBuilder.RandomFloats(shape.Aggregate(1, (a, d) => a * d), seed));

    private static Dictionary<string, object> A(params (string, object)[] values) => values.ToDictionary(v => v.Item1, v => v.Item2);

    /// <summary>Each case, and how many leading inputs are fed at run time (the rest are weights).</summary>
    private static readonly Lazy<List<(OrtCase Case, int RunTime)>> s_cases = new(() =>
    {
        var list = new List<(OrtCase, int)>();
        void Add(string name, string op, int opset, TensorData[] inputs, int[] outputs, Dictionary<string, object>? attrs = null, int runTime = 1) =>
            list.Add((new OrtCase(name, op, opset, inputs, outputs, attrs), runTime));
        int[] img = { 1, 8, 10, 10 };
        int[] nonFinite = { 3, 17, 40, 123, 250, 377, 512, 640, 799 };

        // Convolutions: the packed kernel (3x3), 1x1, depthwise 3x3, a grouped one; NaN/inf in the activations.
        Add("Conv_3x3_packed", "Conv", 13, new[] { Specials("x", img, 1, nonFinite), Weights("w", new[] { 16, 8, 3, 3 }, 2), Weights("b", new[] { 16 }, 3) }, new[] { F },
            A(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })));
        Add("Conv_1x1", "Conv", 13, new[] { Specials("x", img, 4, nonFinite), Weights("w", new[] { 12, 8, 1, 1 }, 5) }, new[] { F });
        Add("Conv_depthwise_3x3", "Conv", 13, new[] { Specials("x", img, 6, nonFinite), Weights("w", new[] { 8, 1, 3, 3 }, 7) }, new[] { F },
            A(("group", 8L), ("pads", new long[] { 1, 1, 1, 1 })));
        Add("Conv_grouped_stride2", "Conv", 13, new[] { Specials("x", img, 8, nonFinite), Weights("w", new[] { 4, 4, 3, 3 }, 9) }, new[] { F },
            A(("group", 2L), ("strides", new long[] { 2, 2 })));
        Add("ConvTranspose", "ConvTranspose", 13, new[] { Specials("x", new[] { 1, 4, 5, 5 }, 10, 3, 11, 24, 60), Weights("w", new[] { 4, 3, 3, 3 }, 11) }, new[] { F },
            A(("strides", new long[] { 2, 2 })));

        // Matrix products: packed Gemm with constant weights, MatMul with a constant and with a run-time B.
        Add("Gemm_transB", "Gemm", 13, new[] { Specials("a", new[] { 4, 32 }, 12, 5, 40, 77, 100), Weights("b", new[] { 24, 32 }, 13), Weights("c", new[] { 24 }, 14) }, new[] { F },
            A(("transB", 1L)));
        Add("MatMul_weights", "MatMul", 13, new[] { Specials("a", new[] { 3, 5, 16 }, 15, 2, 33, 70), Weights("b", new[] { 16, 9 }, 16) }, new[] { F });
        Add("MatMul_runtime", "MatMul", 13, new[] { Specials("a", new[] { 6, 7 }, 17, 0, 20, 41), Specials("b", new[] { 7, 5 }, 18, 8, 30) }, new[] { F }, runTime: 2);

        // Pooling. The max pool input is laid out so that windows have NaN first, in the middle, everywhere, and next to inf.
        var pool = Specials("x", img, 19, nonFinite);
        var p = (float[])pool.Data;
        p[0] = p[1] = p[10] = p[11] = float.NaN;                                         // a whole 2x2 window of NaN
        p[22] = float.NaN; p[23] = float.PositiveInfinity;                             // NaN beside +inf
        p[204] = float.NaN; p[215] = -1e30f;                                           // NaN first, then a value
        p[300] = 2f; p[311] = float.NaN;                                               // NaN last
        Add("MaxPool_2x2_s2", "MaxPool", 13, new[] { pool }, new[] { F }, A(("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })));
        Add("MaxPool_3x3_p1", "MaxPool", 13, new[] { pool }, new[] { F }, A(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })));
        Add("MaxPool_3x3_s2_ceil", "MaxPool", 13, new[] { pool }, new[] { F }, A(("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1L)));
        Add("AveragePool_3x3_p1", "AveragePool", 13, new[] { pool }, new[] { F }, A(("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })));
        Add("GlobalMaxPool", "GlobalMaxPool", 13, new[] { pool }, new[] { F });
        Add("GlobalAveragePool", "GlobalAveragePool", 13, new[] { pool }, new[] { F });

        // Activations.
        var act = Specials("x", new[] { 4, 25 }, 20, 0, 1, 2, 30, 31, 32, 77);
        foreach (var (op, attrs) in new (string, Dictionary<string, object>?)[]
        {
            ("Sigmoid", null), ("Tanh", null), ("LeakyRelu", A(("alpha", 0.1f))), ("Elu", null), ("Selu", null), ("HardSigmoid", null),
            ("HardSwish", null), ("Softplus", null), ("Softsign", null), ("Celu", null), ("ThresholdedRelu", null), ("Mish", null),
        })
            Add("Act_" + op, op, 18, new[] { act }, new[] { F }, attrs);
        Add("Act_PRelu", "PRelu", 16, new[] { act, Weights("slope", new[] { 25 }, 21) }, new[] { F });
        Add("Act_Gelu", "Gelu", 20, new[] { act }, new[] { F });

        // Reductions and ArgMax/ArgMin, over an axis with NaN in some rows, infinities in others.
        var red = Specials("x", new[] { 3, 4, 5 }, 22, 0, 7, 14, 21, 45, 46, 47);
        foreach (string op in new[] { "ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceLogSum" })
        {
            Add(op + "_axis2", op, 18, new[] { red, new TensorData("axes", (int)DataType.Int64, new[] { 1 }, new long[] { 2 }) }, new[] { F });
            Add(op + "_all", op, 18, new[] { red }, new[] { F }, A(("keepdims", 0L)));
        }
        foreach (string op in new[] { "ArgMax", "ArgMin" })
        {
            Add(op + "_axis2", op, 13, new[] { red }, new[] { (int)DataType.Int64 }, A(("axis", 2L)));
            Add(op + "_axis1_last", op, 13, new[] { red }, new[] { (int)DataType.Int64 }, A(("axis", 1L), ("select_last_index", 1L)));
        }

        // Softmax over rows holding NaN, +inf, two +inf, -inf.
        var soft = Specials("x", new[] { 5, 6 }, 23, 0, 6, 13, 14, 20, 27);
        ((float[])soft.Data)[7] = float.PositiveInfinity;
        foreach (string op in new[] { "Softmax", "LogSoftmax" })
        {
            Add(op + "_last", op, 13, new[] { soft }, new[] { F });
            Add(op + "_axis0", op, 13, new[] { soft }, new[] { F }, A(("axis", 0L)));
        }

        // Quantization: NaN and infinities saturate or map as ONNX Runtime does.
        var q = Specials("x", new[] { 2, 12 }, 24, 0, 1, 2, 5, 6, 7);
        ((float[])q.Data)[10] = 1e30f; ((float[])q.Data)[11] = -1e30f;
        Add("QuantizeLinear_u8", "QuantizeLinear", 13, new[] { q, new TensorData("s", F, Array.Empty<int>(), new[] { 0.05f }), new TensorData("z", (int)DataType.UInt8, Array.Empty<int>(), new byte[] { 128 }) },
            new[] { (int)DataType.UInt8 });
        Add("QuantizeLinear_i8", "QuantizeLinear", 13, new[] { q, new TensorData("s", F, Array.Empty<int>(), new[] { 0.02f }), new TensorData("z", (int)DataType.Int8, Array.Empty<int>(), new sbyte[] { -3 }) },
            new[] { (int)DataType.Int8 });
        Add("DynamicQuantizeLinear_finite_extremes", "DynamicQuantizeLinear", 13,
            new[] { new TensorData("x", F, new[] { 8 }, new[] { 0f, 1e30f, -1e30f, 3f, -2f, 1e-30f, 0.5f, -0.5f }) }, new[] { (int)DataType.UInt8, F, (int)DataType.UInt8 });

        // Normalization and Resize (interpolation spreads NaN to its neighbours).
        Add("BatchNormalization", "BatchNormalization", 15, new[] { Specials("x", new[] { 1, 4, 3, 3 }, 25, 0, 10, 20), Weights("scale", new[] { 4 }, 26), Weights("bias", new[] { 4 }, 27),
            Weights("mean", new[] { 4 }, 28), new TensorData("var", F, new[] { 4 }, new[] { 1f, 0.5f, 2f, 0.25f }) }, new[] { F });
        Add("Resize_linear", "Resize", 13, new[] { Specials("x", new[] { 1, 1, 4, 4 }, 29, 5, 10), new TensorData("", F, Array.Empty<int>(), Array.Empty<float>()),
            new TensorData("scales", F, new[] { 4 }, new[] { 1f, 1f, 2f, 2f }) }, new[] { F }, A(("mode", "linear")));
        return list;
    });

    public static TheoryData<string> Cases() => new(s_cases.Value.Select(c => c.Case.Name));

    private sealed record Compiled(Assembly? Assembly, Dictionary<string, string> Failures);

    private static readonly Lazy<Compiled> s_compiled = new(() =>
    {
        var failures = new Dictionary<string, string>();
        var units = new List<InMemoryCompiler.Unit>();
        foreach (var (c, runTime) in s_cases.Value)
        {
            string ns = "NonFinite." + c.Name;
            var (result, unit) = InMemoryCompiler.Generate(c.Model(runTime), ns, fileName: c.Name + ".onnx");
            if (unit is null) { failures[c.Name] = string.Join("; ", result.Diagnostics); continue; }
            units.Add(unit);
            units.Add(new InMemoryCompiler.Unit(ns + ".Adapter", Adapter.Source(ns, "Model",
                c.RuntimeInputs(runTime).Select(i => i.Type.CSharpName()!).ToList(), c.OutputTypes.Select(t => ((DataType)t).CSharpName()!).ToList())));
        }
        var compiled = InMemoryCompiler.Compile(units);
        if (compiled.Assembly is null) foreach (var (c, _) in s_cases.Value) failures.TryAdd(c.Name, string.Join("; ", compiled.Errors.Take(3)));
        return new Compiled(compiled.Assembly, failures);
    });

    /// <summary>
    /// Max-like reductions and pools, where a NaN sharing a window with numbers gives NaN here (NumPy, PyTorch and
    /// ONNX Runtime's own Max/Min) but ONNX Runtime's answer depends on where the NaN sits and which SIMD path runs
    /// (<see cref="Onnx_runtime_max_with_NaN_depends_on_where_the_NaN_is"/>; ONNX Runtime issue 10514): for each
    /// case, the input elements each output reads and how they combine.
    /// </summary>
    private static readonly Dictionary<string, (Func<int[][]> Windows, Func<double[], double> Combine)> s_maxLike = new()
    {
        ["ReduceMax_axis2"] = (() => Groups(12, 5), NanMax), ["ReduceMin_axis2"] = (() => Groups(12, 5), v => -NanMax(v.Select(x => -x).ToArray())),
        ["ReduceMax_all"] = (() => Groups(1, 60), NanMax), ["ReduceMin_all"] = (() => Groups(1, 60), v => -NanMax(v.Select(x => -x).ToArray())),
        ["ReduceLogSumExp_all"] = (() => Groups(1, 60), LogSumExp),
        ["MaxPool_2x2_s2"] = (() => PoolWindows(2, 2, 0, ceil: false), NanMax), ["MaxPool_3x3_p1"] = (() => PoolWindows(3, 1, 1, ceil: false), NanMax),
        ["MaxPool_3x3_s2_ceil"] = (() => PoolWindows(3, 2, 0, ceil: true), NanMax), ["GlobalMaxPool"] = (() => Groups(8, 100), NanMax),
    };

    /// <summary>Reference: NaN if any element is NaN, else the largest.</summary>
    private static double NanMax(double[] v) => v.Any(double.IsNaN) ? double.NaN : v.Max();

    /// <summary>Reference: log(sum(exp(v))), NaN if any element is NaN, infinite when the largest is.</summary>
    private static double LogSumExp(double[] v)
    {
        double m = NanMax(v);
        return double.IsNaN(m) || double.IsInfinity(m) ? m : m + Math.Log(v.Sum(x => Math.Exp(x - m)));
    }

    /// <summary>Consecutive groups: output k reads elements [k * size, (k + 1) * size).</summary>
    private static int[][] Groups(int count, int size) => Enumerable.Range(0, count).Select(k => Enumerable.Range(k * size, size).ToArray()).ToArray();

    /// <summary>The inside-the-input elements of each square window over the [1, 8, 10, 10] pool input (ONNX output size rule).</summary>
    private static int[][] PoolWindows(int kernel, int stride, int pad, bool ceil)
    {
        const int C = 8, H = 10, W = 10;
        double span = (H + 2 * pad - kernel) / (double)stride;
        int outSize = (ceil ? (int)Math.Ceiling(span) : (int)Math.Floor(span)) + 1;
        var windows = new List<int[]>();
        for (int c = 0; c < C; c++)
            for (int oh = 0; oh < outSize; oh++)
                for (int ow = 0; ow < outSize; ow++)
                    windows.Add((from ih in Enumerable.Range(oh * stride - pad, kernel)
                                 from iw in Enumerable.Range(ow * stride - pad, kernel)
                                 where ih >= 0 && ih < H && iw >= 0 && iw < W
                                 select (c * H + ih) * W + iw).ToArray());
        return windows.ToArray();
    }

    private static float[] Pick(float[] values, bool[] mask, bool want) => values.Where((_, i) => mask[i] == want).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime_with_NaN_and_infinities(string name)
    {
        var (c, runTime) = s_cases.Value.Single(x => x.Case.Name == name);
        var (expected, missing) = c.RunOnnxRuntime();
        Assert.True(expected is not null, "ONNX Runtime cannot run the reference: " + missing);
        var compiled = s_compiled.Value;
        if (compiled.Failures.TryGetValue(name, out string? failure)) Assert.Fail($"{name}: {failure}");
        var outputs = expected!.Select(e => Adapter.NewArray(((DataType)ElementwiseOrtTests.ElementType(e)).CSharpName()!, e.Length)).ToArray();
        Adapter.Run(compiled.Assembly!, "NonFinite." + name, c.RuntimeInputs(runTime).Select(i => (object)i.Data).ToArray(), outputs);
        if (s_maxLike.TryGetValue(name, out var rule))
        {
            // Windows without NaN (with infinities) or made only of NaN: exactly ONNX Runtime's answer. Windows mixing
            // NaN and numbers: NaN, from the reference written here (ONNX Runtime's answer there depends on position).
            var x = ((float[])c.Inputs[0].Data).Select(v => (double)v).ToArray();
            var windows = rule.Windows();
            Assert.Equal(expected[0].Length, windows.Length);
            var reference = windows.Select(w => (float)rule.Combine(w.Select(i => x[i]).ToArray())).ToArray();
            bool[] mixed = windows.Select(w => w.Any(i => double.IsNaN(x[i])) && w.Any(i => !double.IsNaN(x[i]))).ToArray();
            Assert.True(mixed.Contains(true), $"{name}: the input must have a window with a NaN among numbers");
            float[] ours = (float[])outputs[0], ort = (float[])expected[0];
            Compare.Close(Pick(ort, mixed, false), Pick(ours, mixed, false), 1e-4, 1e-6, $"{name}: windows without a NaN among numbers, against ONNX Runtime");
            Compare.Close(reference, ours, 1e-4, 1e-6, $"{name}: every window against the NaN-propagating reference");
            return;
        }
        for (int k = 0; k < outputs.Length; k++)
            Compare.Close(expected[k], outputs[k], 1e-4, 1e-6, $"{name} output {k}");
    }

    /// <summary>
    /// Why <see cref="s_maxLike"/> does not compare windows mixing NaN and numbers with ONNX Runtime: its ReduceMax
    /// (Eigen's maxCoeff) keeps a NaN that comes first and drops one that comes later, so the same three values give
    /// NaN or a number by position. If this fails, ONNX Runtime became consistent: compare those windows too.
    /// </summary>
    [Fact]
    public void Onnx_runtime_max_with_NaN_depends_on_where_the_NaN_is()
    {
        var rows = new TensorData("x", F, new[] { 2, 3 }, new[] { float.NaN, 1f, 2f, 1f, 2f, float.NaN });
        var c = new OrtCase("ReduceMax_positions", "ReduceMax", 18, new[] { rows, new TensorData("axes", (int)DataType.Int64, new[] { 1 }, new long[] { 1 }) }, new[] { F });
        var (expected, missing) = c.RunOnnxRuntime();
        Assert.True(expected is not null, "ONNX Runtime cannot run the reference: " + missing);
        float[] ort = (float[])expected![0];
        Assert.True(float.IsNaN(ort[0]) && ort[1] == 2f, $"ONNX Runtime gave [{ort[0]}, {ort[1]}] for [NaN, 1, 2] and [1, 2, NaN]");
    }

    [Fact]
    public void A_convolution_with_a_fused_activation_matches_onnx_runtime_on_NaN_and_infinities()
    {
        foreach (string act in new[] { "Relu", "Clip", "LeakyRelu", "Sigmoid" })
        {
            var b = new OnnxModelBuilder(opset: 13);
            b.Input("x", 1, 8, 10, 10);
            b.Initializer("w", new[] { 16, 8, 3, 3 }, OnnxModelBuilder.RandomFloats(16 * 72, 31));
            b.Initializer("lo", Array.Empty<int>(), new[] { 0f });
            b.Initializer("hi", Array.Empty<int>(), new[] { 6f });
            var c = b.Node("Conv", new[] { "x", "w" }, "c", "conv", attributes: ("pads", new[] { 1, 1, 1, 1 }));
            b.Node(act, act == "Clip" ? new[] { c, "lo", "hi" } : new[] { c }, "y", "act");
            b.Output("y", F, new[] { 1, 16, 10, 10 });
            byte[] model = b.Build();
            var x = (float[])Specials("x", new[] { 1, 8, 10, 10 }, 32, 3, 17, 40, 123, 250, 377, 512, 640, 799).Data;
            var expected = OrtReference.Run(model, new[] { x })[0];
            var compiled = ModelCompiler.Tests.Runtime.CompiledModel.Compile(model, "NonFinite.Fused" + act);
            var actual = compiled.Run(x)[0];
            Compare.Close(expected, actual, 1e-4, 1e-6, $"Conv + {act}");
        }
    }
}
