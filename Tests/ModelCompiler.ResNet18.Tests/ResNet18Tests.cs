using System;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace ModelCompiler.ResNet18Tests;

/// <summary>
/// ResNet-18 (ImageNet, from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18), compiled at build time.
/// Float result check: relative L2 error against ONNX Runtime at most 1e-4.
/// </summary>
public sealed class ResNet18Tests(ITestOutputHelper output)
{
    private static string ModelPath => typeof(ResNet18Tests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNet18ModelPath").Value!;

    private static float[] Image(uint seed)
    {
        var x = new float[ResNet18.InputLength];
        uint s = seed;
        for (int i = 0; i < x.Length; i++)
        {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            x[i] = (s >> 8) / (float)(1 << 24) * 255f; // the featurizer expects unnormalized pixel values
        }
        return x;
    }

    private static float[] OnnxRuntime(float[] input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(ModelPath, options);
        string name = session.InputNames[0];
        long[] shape = ResNet18.InputShape.ToArray().Select(d => (long)d).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var run = new RunOptions();
        using var results = session.Run(run, new[] { name }, new[] { value }, session.OutputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double RelativeL2(float[] expected, float[] actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - (double)expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        return Math.Sqrt(num / den);
    }

    [Fact]
    public void Matches_onnx_runtime_on_random_images()
    {
        foreach (uint seed in new uint[] { 1, 2 })
        {
            var input = Image(seed);
            var ours = new float[ResNet18.OutputLength];
            ResNet18.Predict(input, ours);
            var reference = OnnxRuntime(input);
            double error = RelativeL2(reference, ours);
            output.WriteLine($"seed {seed}: relative L2 error against ONNX Runtime {error:G3}");
            Assert.True(error <= 1e-4, $"seed {seed}: relative L2 error {error:G3} > 1e-4");
        }
    }

    [Fact]
    public void Allocates_nothing_per_call_after_warm_up()
    {
        var input = Image(3);
        var output = new float[ResNet18.OutputLength];
        ResNet18.Predict(input, output);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) ResNet18.Predict(input, output);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Concurrent_calls_agree()
    {
        var input = Image(4);
        var expected = new float[ResNet18.OutputLength];
        ResNet18.Predict(input, expected);
        var results = new float[4][];
        Parallel.For(0, 4, i =>
        {
            results[i] = new float[ResNet18.OutputLength];
            ResNet18.Predict(input, results[i]);
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
