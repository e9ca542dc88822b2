using System;
using System.Linq;
using System.Threading;
using OrtModels;
using Xunit;

namespace ModelCompiler.OnnxRuntime.Tests;

/// <summary>
/// The sample's digit classifier built with Backend="OnnxRuntime": results, zero allocation per call, many
/// threads at once.
/// </summary>
public sealed class DigitsTests
{
    [Fact]
    public void Generated_api_matches_the_managed_backend_shape()
    {
        Assert.Equal(64, Digits.InputLength);
        Assert.Equal(10, Digits.OutputLength);
        Assert.Equal(new[] { 1, 1, 8, 8 }, Digits.InputShape.ToArray());
        Assert.Equal(new[] { 1, 10 }, Digits.OutputShape.ToArray());
        Assert.Equal("OnnxRuntime", Digits.Backend);
        Assert.Equal((64 + 10) * 4, Digits.ScratchBytes);
        // The managed compiler supports every operator of this model, so the count it computes is reported (0.47 M MACs:
        // the stem convolution, three residual blocks and the classifier of the tiny ResNet).
        Assert.Equal(467952, Digits.Macs);
    }

    [Fact]
    public void Classifies_the_test_digits_like_a_direct_onnx_runtime_session()
    {
        var (images, labels) = TestSupport.Digits();
        var logits = new float[Digits.OutputLength];
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var image = images.AsSpan(i * Digits.InputLength, Digits.InputLength).ToArray();
            Digits.Predict(image, logits);
            if (i % 50 == 0) TestSupport.Close(TestSupport.Reference(TestSupport.DigitsModel, image)[0], logits, $"digit {i}");
            if (Array.IndexOf(logits, logits.Max()) == labels[i]) correct++;
        }
        Assert.True(correct > labels.Length * 0.95, $"accuracy {correct}/{labels.Length}");
        Assert.Equal("CPU", Digits.ActiveExecutionProvider);
        Assert.Equal(new[] { "CPU" }, Digits.ActiveExecutionProviders);
        Assert.Empty(Digits.SkippedExecutionProviders);
    }

    [Fact]
    public void Allocates_nothing_per_call_after_warm_up()
    {
        var (images, _) = TestSupport.Digits();
        var input = images.AsSpan(0, Digits.InputLength).ToArray();
        var output = new float[Digits.OutputLength];
        for (int i = 0; i < 10; i++) Digits.Predict(input, output);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Digits.Predict(input, output);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"100 calls allocated {allocated} bytes");
    }

    [Fact]
    public void Eight_threads_at_once_get_the_single_thread_results()
    {
        var (images, _) = TestSupport.Digits();
        const int Threads = 8, PerThread = 40;
        var expected = new float[Threads * PerThread][];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = new float[Digits.OutputLength];
            Digits.Predict(images.AsSpan(i * Digits.InputLength, Digits.InputLength), expected[i]);
        }

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var output = new float[Digits.OutputLength];
            start.SignalAndWait();
            for (int round = 0; round < 5; round++)
                for (int k = 0; k < PerThread; k++)
                {
                    int i = (k * Threads + t + round) % expected.Length;
                    Digits.Predict(images.AsSpan(i * Digits.InputLength, Digits.InputLength), output);
                    if (!output.AsSpan().SequenceEqual(expected[i])) failures.Enqueue($"thread {t}, image {i}: [{string.Join(", ", output)}] != [{string.Join(", ", expected[i])}]");
                }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    [Fact]
    public void A_span_of_the_wrong_length_is_an_ArgumentException_naming_the_parameter()
    {
        var e = Assert.Throws<ArgumentException>(() => Digits.Predict(new float[63], new float[10]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("1x1x8x8", e.Message);
        e = Assert.Throws<ArgumentException>(() => Digits.Predict(new float[64], new float[11]));
        Assert.Equal("output", e.ParamName);
    }
}
