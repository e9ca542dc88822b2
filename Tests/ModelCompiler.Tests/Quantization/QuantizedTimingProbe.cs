using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Graph;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// A rough timing of quantized models against ONNX Runtime (1 thread), for development only: set
/// MODELCOMPILER_QPERF=1 (skipped otherwise). The benchmark project holds the real measurements.
/// </summary>
[Collection("QuantizedTiming")]
public sealed class QuantizedTimingProbe
{
    [Theory]
    [InlineData("mobilenetv2-12-int8.onnx", "1,3,224,224")]
    [InlineData("mbv2_cifar10_int8.onnx", null)]
    [InlineData("ic_quantized_int8.onnx", null)]
    [InlineData("ks_quantized_int8.onnx", null)]
    [InlineData("ad_quantized_int8.onnx", null)]
    public void Time_against_onnx_runtime(string file, string? shape)
    {
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_QPERF") != "1") Assert.Skip("set MODELCOMPILER_QPERF=1 to time quantized models against ONNX Runtime");
        var bytes = File.ReadAllBytes(Repo.Shared(Path.Combine("models", "mlperf-tiny-int8_Lawrence-lugs-MARP", file)));
        var suite = new ModelSuite("QPerf" + file.Replace('.', '_').Replace('-', '_'), new[] { new ModelSuite.Entry("m", () => bytes, shape) });
        var model = suite["m"];
        Assert.True(model.Failure is null, model.Failure);
        var input = MlperfInt8ModelTests.Inputs(bytes, model.InputLengths[0], 5);
        int runs = 5;
        double oursMs = QuantizedKernelTimingProbe.MinTime(() => model.Run(input), runs * 4);

        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
        using var session = new InferenceSession(bytes, options);
        long[] dims = model.InputShapes[0].Select(d => (long)d).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(input, dims);
        using var run = new RunOptions();
        double ortMs = QuantizedKernelTimingProbe.MinTime(() => session.Run(run, session.InputNames, new[] { value }, session.OutputNames).Dispose(), runs * 4);
        string line = $"{file}: ModelCompiler {oursMs:F3} ms, ONNX Runtime (1 thread, all optimizations) {ortMs:F3} ms, path {ModelCompiler.Runtime.IntegerPaths.Best}";
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "modelcompiler-qperf.txt"), line + "\n");
        TestContext.Current.SendDiagnosticMessage(line);
    }
}

/// <summary>Kernel-level timings for development (MODELCOMPILER_QPERF=1).</summary>
[Collection("QuantizedTiming")]
public sealed class QuantizedKernelTimingProbe
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, long[] usage);

    /// <summary>
    /// The process's CPU time in ms (Linux RUSAGE_SELF, all threads): on a shared machine, time spent preempted
    /// does not count. The probes run one at a time (one collection), so nothing else runs in the process.
    /// </summary>
    private static double CpuMs()
    {
        var u = new long[18];
        if (!OperatingSystem.IsLinux() || GetRusage(0, u) != 0) return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        return (u[0] + u[2]) * 1000.0 + (u[1] + u[3]) / 1000.0;
    }

    /// <summary>The best per-call CPU time of 5 batches of about 300 ms each.</summary>
    internal static double MinTime(Action f, int runs)
    {
        for (int i = 0; i < 10; i++) f();
        var sw = Stopwatch.StartNew();
        int calibrate = 0;
        while (sw.ElapsedMilliseconds < 100) { f(); calibrate++; }
        int perBatch = Math.Max(runs, calibrate * 3);
        double best = double.MaxValue;
        for (int batch = 0; batch < 5; batch++)
        {
            double start = CpuMs();
            for (int i = 0; i < perBatch; i++) f();
            best = Math.Min(best, (CpuMs() - start) / perBatch);
        }
        return best;
    }

    [Theory]
    [InlineData("pointwise 96->24 @56", 1, 96, 56, 56, 24, 1, 1, 1, 1, 0)]
    [InlineData("pointwise 24->144 @56", 1, 24, 56, 56, 144, 1, 1, 1, 1, 0)]
    [InlineData("depthwise 144 @56 s1", 1, 144, 56, 56, 144, 3, 144, 1, 1, 1)]
    [InlineData("depthwise 96 @112 s2", 1, 96, 112, 112, 96, 3, 96, 2, 2, 1)]
    [InlineData("first 3->32 @224 s2", 1, 3, 224, 224, 32, 3, 1, 2, 2, 1)]
    [InlineData("pointwise 320->1280 @7", 1, 320, 7, 7, 1280, 1, 1, 1, 1, 0)]
    [InlineData("3x3 16->16 @32", 16, 16, 32, 32, 16, 3, 1, 1, 1, 1)]
    public void Time_a_convolution(string what, int n, int c, int h, int w, int m, int k, int group, int sh, int sw, int pad)
    {
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_QPERF") != "1") Assert.Skip("set MODELCOMPILER_QPERF=1");
        var r = new Rng(3);
        int oh = (h + 2 * pad - k) / sh + 1, ow = (w + 2 * pad - k) / sw + 1;
        var g = new ModelCompiler.Runtime.ConvGeometry(n, c, h, w, m, oh, ow, group, k, k, sh, sw, pad, pad, 1, 1);
        var x = Enumerable.Range(0, n * c * h * w).Select(_ => (byte)r.Int(0, 255)).ToArray();
        var wt = Enumerable.Range(0, m * c / group * k * k).Select(_ => (sbyte)r.Int(-128, 127)).ToArray();
        var y = new byte[n * m * oh * ow];
        var ws = Enumerable.Range(0, m).Select(_ => 0.01f).ToArray();
        var wz = new sbyte[m];
        var bias = new int[m];
        void Once() => ModelCompiler.Runtime.QuantizedConv.QLinearConvDynamic<byte, sbyte, byte>(x, new[] { 0.02f }, new byte[] { 3 }, wt, ws, wz, new[] { 0.5f }, new byte[] { 7 }, bias, y, g);
        double ms = MinTime(Once, 10);
        long macs = (long)n * m * oh * ow * (c / group) * k * k;
        string line = $"{what}: {ms:F3} ms, {macs / ms / 1e6:F2} GMAC/s";
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "modelcompiler-qperf.txt"), line + "\n");
    }
}

/// <summary>Pieces of the pointwise convolution, timed separately (MODELCOMPILER_QPERF=1).</summary>
[Collection("QuantizedTiming")]
public sealed class QuantizedPieceTimingProbe
{
    [Fact]
    public void Time_the_pieces()
    {
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_QPERF") != "1") Assert.Skip("set MODELCOMPILER_QPERF=1");
        var r = new Rng(3);
        int c = 96, h = 56, w = 56, m = 24, p = h * w, kq = c / 4, block = 256, ldc = 256;
        var g = new ModelCompiler.Runtime.ConvGeometry(1, c, h, w, m, h, w, 1, 1, 1, 1, 1, 0, 0, 1, 1);
        var x = Enumerable.Range(0, c * p).Select(_ => (byte)r.Int(0, 255)).ToArray();
        var a = new int[kq * ldc];
        var rows = Enumerable.Range(0, m * kq).Select(_ => (int)r.Next()).ToArray();
        var tile = new int[64];
        var path = ModelCompiler.Runtime.IntegerPaths.Best;
        double Time(Action f, int runs = 30) => QuantizedKernelTimingProbe.MinTime(f, runs);
        double pack = Time(() => { for (int p0 = 0; p0 < p; p0 += block) ModelCompiler.Runtime.QuantizedConv.Pack(x, false, 3, c, kq, p0, Math.Min(block, p - p0), ldc, a, g); });
        double tiles = Time(() => { for (int p0 = 0; p0 < p; p0 += block) for (int m0 = 0; m0 < m; m0 += 4) for (int c0 = 0; c0 < block; c0 += 16) ModelCompiler.Runtime.QGemm.Tile(path, rows, default, m0, kq, 4, a, ldc, c0, kq, false, tile); });
        var vals = new int[16]; var y = new byte[16];
        double post = Time(() => { for (int p0 = 0; p0 < p; p0 += 16) for (int oc = 0; oc < m; oc++) ModelCompiler.Runtime.Requantize.Store<byte>(vals, 0.01f, 3, y); });
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "modelcompiler-qperf.txt"), $"pieces pointwise 96->24 @56: pack {pack:F3} ms, tiles {tiles:F3} ms, requant {post:F3} ms\n");
        var qa = Enumerable.Range(0, 24 * 56 * 56).Select(_ => (byte)r.Int(0, 255)).ToArray();
        var qb = Enumerable.Range(0, 24 * 56 * 56).Select(_ => (byte)r.Int(0, 255)).ToArray();
        var qc = new byte[qa.Length];
        int[] shape = { 1, 24, 56, 56 };
        double add = Time(() => ModelCompiler.Runtime.QuantizedElementwise.QLinearAdd<byte>(qa, new[] { 0.05f }, new byte[] { 120 }, shape, qb, new[] { 0.04f }, new byte[] { 130 }, shape, new[] { 0.07f }, new byte[] { 125 }, qc, shape));
        var fx = Enumerable.Range(0, 3 * 224 * 224).Select(_ => r.Float(-2, 2)).ToArray();
        var fq = new byte[fx.Length];
        double quant = Time(() => ModelCompiler.Runtime.Quantization.QuantizeLinear<float, float, byte>(fx, new[] { 0.0186f }, new byte[] { 114 }, fq, fx.Length));
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "modelcompiler-qperf.txt"), $"QLinearAdd 75264 u8: {add:F3} ms; QuantizeLinear 150528: {quant:F3} ms\n");
    }
}

/// <summary>Cumulative time of a model's prefixes (graph cut after node i), to see where time goes (MODELCOMPILER_QPERF=1).</summary>
[Collection("QuantizedTiming")]
public sealed class QuantizedPrefixTimingProbe
{
    [Theory]
    [InlineData("mobilenetv2-12-int8.onnx", "1,3,224,224")]
    [InlineData("ks_quantized_int8.onnx", null)]
    public void Profile_by_prefix(string file, string? shape)
    {
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_QPERF") != "1") Assert.Skip("set MODELCOMPILER_QPERF=1");
        if (Environment.GetEnvironmentVariable("MODELCOMPILER_QPERF_PREFIX") is { } only && !file.StartsWith(only, StringComparison.Ordinal)) Assert.Skip("another model");
        var bytes = File.ReadAllBytes(Repo.Shared(Path.Combine("models", "mlperf-tiny-int8_Lawrence-lugs-MARP", file)));
        var proto = ModelCompiler.Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        var nodes = proto.Graph.Node.ToList();
        var first = InMemoryCompiler.Generate(bytes, "Prefix.Shape", inputShape: shape).Result;
        var input = MlperfInt8ModelTests.Inputs(bytes, (int)first.Inputs[0].Length, 5);
        double previous = 0;
        var lines = new System.Collections.Generic.List<string>();
        for (int cut = 0; cut < nodes.Count; cut++)
        {
            var node = nodes[cut];
            if (!(node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType == "QuantizeLinear")) continue;
            var copy = proto.Clone();
            copy.Graph.Output.Clear();
            copy.Graph.Output.Add(new ModelCompiler.Onnx.Proto.ValueInfoProto { Name = node.Output[0], Type = new ModelCompiler.Onnx.Proto.TypeProto { TensorType = new ModelCompiler.Onnx.Proto.TypeProto.Types.Tensor { ElemType = 2 } } });
            string ns = "Prefix.P" + file.Substring(0, 2) + cut;
            var (result, unit) = InMemoryCompiler.Generate(Google.Protobuf.MessageExtensions.ToByteArray(copy), ns, inputShape: shape);
            Assert.True(unit is not null, string.Join("; ", result.Diagnostics));
            var adapter = Adapter.Source(ns, "Model", new[] { "float" }, new[] { result.Outputs[0].Type.CSharpName()! });
            var compiled = InMemoryCompiler.Compile(new[] { unit!, new InMemoryCompiler.Unit(ns + ".Adapter", adapter) });
            var output = Adapter.NewArray(result.Outputs[0].Type.CSharpName()!, (int)result.Outputs[0].Length);
            double ms = QuantizedKernelTimingProbe.MinTime(() => Adapter.Run(compiled.Assembly!, ns, new object[] { input }, new object[] { output }), 3);
            lines.Add($"{cut,3} {node.OpType,-26} {node.Name,-40} cumulative {ms,8:F3} ms  step {ms - previous,8:F3} ms");
            previous = ms;
        }
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "modelcompiler-qperf.txt"), string.Join("\n", lines) + "\n");
    }
}
