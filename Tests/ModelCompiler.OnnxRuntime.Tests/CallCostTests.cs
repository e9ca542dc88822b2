using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using OrtModels;
using Xunit;

namespace ModelCompiler.OnnxRuntime.Tests;

/// <summary>
/// What one Predict costs next to the usual ONNX Runtime call (Run with OrtValues created per call), on the
/// same model and thread settings. Reports the numbers (docs/onnxruntime-backend.md quotes them); asserts only
/// the allocation difference, since timings depend on the machine.
/// </summary>
public sealed class CallCostTests
{
    [Fact]
    public void Predict_costs_less_than_a_plain_Run_and_allocates_nothing()
    {
        const int Calls = 2000;
        var input = TestSupport.Digits().Images.AsSpan(0, 64).ToArray();
        var output = new float[DigitsOneThread.OutputLength];
        for (int i = 0; i < 200; i++) DigitsOneThread.Predict(input, output); // IntraOpThreads=1 (metadata)

        var clock = new Stopwatch();
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        clock.Start();
        for (int i = 0; i < Calls; i++) DigitsOneThread.Predict(input, output);
        double predictUs = clock.Elapsed.TotalMicroseconds / Calls;
        long predictBytes = GC.GetAllocatedBytesForCurrentThread() - bytes;

        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(TestSupport.DigitsModel, options);
        using var run = new RunOptions();
        var names = session.InputNames;
        var outputNames = session.OutputNames;
        void Plain()
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, new long[] { 1, 1, 8, 8 });
            using var results = session.Run(run, names, new[] { value }, outputNames);
            results[0].GetTensorDataAsSpan<float>().CopyTo(output);
        }
        for (int i = 0; i < 200; i++) Plain();
        bytes = GC.GetAllocatedBytesForCurrentThread();
        clock.Restart();
        for (int i = 0; i < Calls; i++) Plain();
        double plainUs = clock.Elapsed.TotalMicroseconds / Calls;
        long plainBytes = GC.GetAllocatedBytesForCurrentThread() - bytes;

        string report = $"digits_resnet (1x1x8x8 -> 1x10), 1 intra-op thread: Predict {predictUs:F1} us and {predictBytes / (double)Calls:F0} B per call; " +
                        $"InferenceSession.Run with a new OrtValue per call {plainUs:F1} us and {plainBytes / (double)Calls:F0} B per call";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(0, predictBytes);
        Assert.True(plainBytes > 0, report);
    }
}
