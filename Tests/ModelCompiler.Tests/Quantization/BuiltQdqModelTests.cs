using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Quantization;

/// <summary>
/// QDQ models built here from float models in ../shared (<see cref="QdqQuantizer"/>: ONNX Runtime's layout,
/// uint8 or int8 asymmetric activations calibrated min/max on 16 seeded random inputs, per-channel int8
/// symmetric Conv weights, int32 biases), then compiled and compared with ONNX Runtime running the same QDQ
/// model on 3 other random inputs. Every QuantizeLinear output is exposed as a graph output so that the 8-bit
/// tensors themselves are compared:
/// <list type="bullet">
/// <item>with ONNX Runtime's graph optimizations on (it fuses the groups into QLinearConv, QLinearAdd... as
/// ModelCompiler does), at most <c>OrtSteps</c> quantization steps apart (see the catalog);</item>
/// <item>with ONNX Runtime running the graph as written (float ops between real QuantizeLinear/DequantizeLinear),
/// the same bound. In principle int32 accumulation and one requantization can round differently from the float
/// sum at a tie (one step, which then propagates); on these models and inputs it never happens, so the catalog
/// asks for exact equality (0 steps) at every 8-bit tensor, and the float logits agree to float rounding.</item>
/// </list>
/// </summary>
public sealed class BuiltQdqModelTests
{
    public static readonly (string Id, string Path, int[] Shape, bool Signed, long OrtSteps)[] Catalog =
    {
        ("tiny_resnet3_u8s8", "torch-exports/tiny_resnet3.onnx", new[] { 1, 1, 8, 8 }, false, 0),
        ("tiny_resnet3_s8s8", "torch-exports/tiny_resnet3.onnx", new[] { 1, 1, 8, 8 }, true, 0),
        ("tiny_mobilenet5_u8s8", "torch-exports/tiny_mobilenet5.onnx", new[] { 1, 1, 8, 8 }, false, 0),
        ("tiny_shufflenet3_u8s8", "torch-exports/tiny_shufflenet3.onnx", new[] { 1, 1, 8, 8 }, false, 0),
        ("mnist_onnx2c_u8s8", "onnx2c/test/mnist/model.onnx", new[] { 1, 1, 28, 28 }, false, 0),
        ("mnist_onnx2c_s8s8", "onnx2c/test/mnist/model.onnx", new[] { 1, 1, 28, 28 }, true, 0),
        ("squeezenet_cifar10_u8s8", "EMCLab-DynBal/dnn-models/squeezenet_cifar10.onnx", new[] { 1, 3, 32, 32 }, false, 0),
    };

    public static TheoryData<string> Ids() => new(Catalog.Select(c => c.Id));

    private sealed record Built(byte[] Qdq, CompiledModel Model, int[] Shape);

    private static readonly ConcurrentDictionary<string, Lazy<Built>> s_built = new();

    private static Built Build(string id)
    {
        var c = Catalog.First(x => x.Id == id);
        string path = Repo.Shared(Path.Combine("models", c.Path));
        return s_built.GetOrAdd(id, _ => new Lazy<Built>(() =>
        {
            var prepared = QdqQuantizer.Prepare(File.ReadAllBytes(path), new[] { c.Shape });
            int n = c.Shape.Aggregate(1, (a, d) => a * d);
            var calibration = Enumerable.Range(0, 16).Select(s => new[] { QuantCompare.Uniform(n, (uint)(100 + s)) }).ToList();
            var qdq = QuantCompare.ExposeQuantized(QdqQuantizer.Quantize(prepared, calibration, new QdqQuantizer.Options(c.Signed)));
            return new Built(qdq, TypedModel.Compile(qdq, id), c.Shape);
        })).Value;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Matches_onnxruntime_at_every_8bit_tensor(string id)
    {
        var built = Build(id);
        long bound = Catalog.First(x => x.Id == id).OrtSteps;
        Assert.True(!built.Model.Result.Diagnostics.Any(d => d.Id == "MC1002"), string.Join("\n", built.Model.Result.Diagnostics));
        int n = built.Shape.Aggregate(1, (a, d) => a * d);
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_ALL, GraphOptimizationLevel.ORT_DISABLE_ALL })
        {
            long worst = 0;
            int differing = 0, total = 0;
            double logits = 0;
            for (int sample = 0; sample < 3; sample++)
            {
                var input = QuantCompare.Uniform(n, (uint)(900 + sample));
                var ours = built.Model.RunTyped(new Array[] { input });
                var ort = OrtReference.RunTyped(built.Qdq, new[] { TestTensor.Floats("input", built.Shape, input) }, level);
                for (int k = 0; k < ours.Length; k++)
                {
                    if (ours[k].Data is float[] f) { logits = Math.Max(logits, Compare.MaxAbsDifference((float[])ort[k].Data, f)); continue; }
                    var (steps, count) = QuantCompare.Steps(ort[k].Data, ours[k].Data);
                    worst = Math.Max(worst, steps);
                    differing += count;
                    total += ours[k].Data.Length;
                }
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{id} vs ONNX Runtime {level}: {differing} of {total} 8-bit elements differ, at most {worst} step(s); float outputs max |diff| {logits:G4}");
            Assert.True(worst <= bound, $"{id} vs ONNX Runtime {level}: {differing} of {total} 8-bit elements differ, by up to {worst} steps");
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Runs_on_integer_kernels(string id)
    {
        var built = Build(id);
        var layers = built.Model.Source.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("// L", StringComparison.Ordinal)).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", layers));
        Assert.DoesNotContain(layers, l => l.Contains("  Conv \"", StringComparison.Ordinal));
    }
}
