using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
#if SHARED_MODELS
using OrtModels.Shared;
#endif

namespace ModelCompiler.OnnxRuntime.Tests;

/// <summary>
/// Real models from ../shared/models built with Backend="OnnxRuntime", each checked against a direct
/// InferenceSession on the same file (rel. L2 &lt;= 1e-4 or |d| &lt;= 1e-5 + 1e-4|e|). The comparison with the
/// managed backend for the same models is in ModelCompiler.Tests (OnnxRuntimeBackendComparisonTests), which
/// compiles both backends in memory. Without ../shared these tests report themselves skipped.
/// </summary>
public sealed class SharedModelTests
{
    /// <summary>Runs the generated class (via <paramref name="predict"/>) and the reference on two inputs and compares every output.</summary>
    private static void Check(string relative, int inputLength, int[] outputLengths, Action<float[], float[][]> predict)
    {
        string path = TestSupport.SharedModel(relative);
#if SHARED_MODELS
        foreach (uint seed in new uint[] { 1, 2 })
        {
            var input = TestSupport.Random(inputLength, seed);
            var outputs = outputLengths.Select(n => new float[n]).ToArray();
            predict(input, outputs);
            var expected = TestSupport.Reference(path, input);
            Assert.Equal(expected.Length, outputs.Length);
            for (int k = 0; k < outputs.Length; k++)
            {
                TestSupport.Close(expected[k], outputs[k], $"{relative} output {k} (seed {seed})");
                Assert.Contains(outputs[k], v => v != 0);
            }
        }
#else
        _ = (path, inputLength, outputLengths, predict);
        Assert.Skip("Built without ../shared/models (SHARED_MODELS is not defined): rebuild with the shared test material beside the repository.");
#endif
    }

#if SHARED_MODELS
    [Fact]
    public void TinyResnet3() => Check("torch-exports/tiny_resnet3.onnx", OrtModels.Shared.TinyResnet3.InputLength, new[] { OrtModels.Shared.TinyResnet3.OutputLength },
        (x, y) => OrtModels.Shared.TinyResnet3.Predict(x, y[0]));

    [Fact]
    public void TinyShufflenet3() => Check("torch-exports/tiny_shufflenet3.onnx", OrtModels.Shared.TinyShufflenet3.InputLength, new[] { OrtModels.Shared.TinyShufflenet3.OutputLength },
        (x, y) => OrtModels.Shared.TinyShufflenet3.Predict(x, y[0]));

    [Fact]
    public void Mlp_96_48() => Check("torch-exports/mlp_96_48.onnx", Mlp9648.InputLength, new[] { Mlp9648.OutputLength },
        (x, y) => Mlp9648.Predict(x, y[0]));

    [Fact]
    public void Onnx2c_mnist() => Check("onnx2c/test/mnist/model.onnx", Mnist.InputLength, new[] { Mnist.OutputLength },
        (x, y) => Mnist.Predict(x, y[0]));

    [Fact]
    public void IPrune_HAR() => Check("EMCLab-iPrune/pruning/onnx_models/energy/HAR.onnx", Har.InputLength, new[] { Har.OutputLength },
        (x, y) => Har.Predict(x, y[0]));

    [Fact]
    public void YuNet_320_with_twelve_outputs() => Check("libfacedetection.train/yunet/yunet_n_320_320.onnx", YuNet.InputLength,
        new[] { YuNet.Cls8Length, YuNet.Cls16Length, YuNet.Cls32Length, YuNet.Obj8Length, YuNet.Obj16Length, YuNet.Obj32Length,
                YuNet.Bbox8Length, YuNet.Bbox16Length, YuNet.Bbox32Length, YuNet.Kps8Length, YuNet.Kps16Length, YuNet.Kps32Length },
        (x, y) => YuNet.Predict(x, y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7], y[8], y[9], y[10], y[11]));

    [Fact]
    public void UltraFace_slim_320_with_two_outputs() => Check("ultraface/models_onnx/version-slim-320.onnx", UltraFaceSlim.InputLength,
        new[] { UltraFaceSlim.ScoresLength, UltraFaceSlim.BoxesLength },
        (x, y) => UltraFaceSlim.Predict(x, y[0], y[1]));

    [Fact]
    public void A_bigger_model_allocates_nothing_per_call_either()
    {
        var input = TestSupport.Random(UltraFaceSlim.InputLength, 3);
        var scores = new float[UltraFaceSlim.ScoresLength];
        var boxes = new float[UltraFaceSlim.BoxesLength];
        for (int i = 0; i < 3; i++) UltraFaceSlim.Predict(input, scores, boxes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) UltraFaceSlim.Predict(input, scores, boxes);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
#else
    [Fact]
    public void Shared_models() => Check("torch-exports/tiny_resnet3.onnx", 0, Array.Empty<int>(), (_, _) => { });
#endif
}
