using System;
using System.Collections.Generic;
using Bench.Models;

namespace ModelCompiler.Benchmarks;

// One class per model; each is compiled only when its .onnx file was there at build time (BENCH_* constants
// from the project file). Macs and ScratchBytes are constants of the generated class.

#if BENCH_MLP
/// <summary>hls4ml dense_big_keras: 16 -> 200 -> 200 -> 5 style MLP (42 K MACs).</summary>
[Model("hls4ml MLP (dense_big_keras)", DenseBigMlp.Macs, DenseBigMlp.ScratchBytes), Flops(2 * DenseBigMlp.Macs)]
public class MlpBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("hls4ml-example-models/onnx/dense_big_keras.onnx");
    protected override int[] InputShape => DenseBigMlp.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { DenseBigMlp.OutputShape.ToArray() };
    protected override void Predict() => DenseBigMlp.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => DenseBigMlp.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => DenseBigMlp.LayerNames;
}
#endif

#if BENCH_MNIST
/// <summary>onnx2c's MNIST CNN (LeNet-style), 1x1x28x28.</summary>
[Model("MNIST CNN (onnx2c)", MnistCnn.Macs, MnistCnn.ScratchBytes), Flops(2 * MnistCnn.Macs)]
public class MnistBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("onnx2c/test/mnist/model.onnx");
    protected override int[] InputShape => MnistCnn.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MnistCnn.OutputShape.ToArray() };
    protected override void Predict() => MnistCnn.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MnistCnn.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MnistCnn.LayerNames;
}
#endif

#if BENCH_SQUEEZENET
/// <summary>SqueezeNet for CIFAR-10 (EMCLab DynBal), pinned to 1x3x32x32.</summary>
[Model("SqueezeNet CIFAR-10", SqueezeNetCifar10.Macs, SqueezeNetCifar10.ScratchBytes), Flops(2 * SqueezeNetCifar10.Macs)]
public class SqueezeNetBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("EMCLab-DynBal/dnn-models/squeezenet_cifar10.onnx");
    protected override int[] InputShape => SqueezeNetCifar10.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { SqueezeNetCifar10.OutputShape.ToArray() };
    protected override void Predict() => SqueezeNetCifar10.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => SqueezeNetCifar10.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => SqueezeNetCifar10.LayerNames;
}
#endif

#if BENCH_YUNET
/// <summary>YuNet-n face detector at 320x320 (depthwise separable convolutions), 12 outputs.</summary>
[Model("YuNet-n 320x320", YuNet.Macs, YuNet.ScratchBytes), Flops(2 * YuNet.Macs)]
public class YuNetBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("libfacedetection.train/yunet/yunet_n_320_320.onnx");
    protected override int[] InputShape => YuNet.InputShape.ToArray();
    protected override int[][] OutputShapes => new[]
    {
        YuNet.Cls8Shape.ToArray(), YuNet.Cls16Shape.ToArray(), YuNet.Cls32Shape.ToArray(),
        YuNet.Obj8Shape.ToArray(), YuNet.Obj16Shape.ToArray(), YuNet.Obj32Shape.ToArray(),
        YuNet.Bbox8Shape.ToArray(), YuNet.Bbox16Shape.ToArray(), YuNet.Bbox32Shape.ToArray(),
        YuNet.Kps8Shape.ToArray(), YuNet.Kps16Shape.ToArray(), YuNet.Kps32Shape.ToArray(),
    };
    protected override void Predict() => YuNet.Predict(Input, Outputs[0], Outputs[1], Outputs[2], Outputs[3], Outputs[4], Outputs[5],
        Outputs[6], Outputs[7], Outputs[8], Outputs[9], Outputs[10], Outputs[11]);
    public override void PredictProfiled(Span<long> ticks) => YuNet.PredictProfiled(Input, Outputs[0], Outputs[1], Outputs[2], Outputs[3],
        Outputs[4], Outputs[5], Outputs[6], Outputs[7], Outputs[8], Outputs[9], Outputs[10], Outputs[11], ticks);
    public override IReadOnlyList<string> LayerNames => YuNet.LayerNames;
}
#endif

#if BENCH_NANODET
/// <summary>NanoDet-m (ShuffleNetV2 1.0x backbone) at 416x416, 6 outputs.</summary>
[Model("NanoDet-m 416x416", NanoDetM.Macs, NanoDetM.ScratchBytes), Flops(2 * NanoDetM.Macs)]
public class NanoDetBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("nanodet_hpc203/nanodet_m.onnx");
    protected override int[] InputShape => NanoDetM.InputShape.ToArray();
    protected override int[][] OutputShapes => new[]
    {
        NanoDetM.Output792Shape.ToArray(), NanoDetM.Output814Shape.ToArray(), NanoDetM.Output836Shape.ToArray(),
        NanoDetM.Output795Shape.ToArray(), NanoDetM.Output817Shape.ToArray(), NanoDetM.Output839Shape.ToArray(),
    };
    protected override void Predict() => NanoDetM.Predict(Input, Outputs[0], Outputs[1], Outputs[2], Outputs[3], Outputs[4], Outputs[5]);
    public override void PredictProfiled(Span<long> ticks) =>
        NanoDetM.PredictProfiled(Input, Outputs[0], Outputs[1], Outputs[2], Outputs[3], Outputs[4], Outputs[5], ticks);
    public override IReadOnlyList<string> LayerNames => NanoDetM.LayerNames;
}
#endif

#if BENCH_YOLOFASTEST
/// <summary>Yolo-FastestV2 (ShuffleNetV2 backbone) at 352x352.</summary>
[Model("Yolo-FastestV2 352x352", YoloFastestV2.Macs, YoloFastestV2.ScratchBytes), Flops(2 * YoloFastestV2.Macs)]
public class YoloFastestV2Benchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("yolo-fastestv2_hpc203/model.onnx");
    protected override int[] InputShape => YoloFastestV2.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { YoloFastestV2.OutputShape.ToArray() };
    protected override void Predict() => YoloFastestV2.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => YoloFastestV2.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => YoloFastestV2.LayerNames;
}
#endif

#if BENCH_MBV2_FLOAT
/// <summary>torchvision MobileNetV2 width 0.5 at 160x160, float32 (the reference for the int8 QDQ model below).</summary>
[Model("MobileNetV2 0.5x 160 float32", MobileNetV2Float.Macs, MobileNetV2Float.ScratchBytes), Flops(2 * MobileNetV2Float.Macs)]
public class MobileNetV2FloatBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/mobilenet_v2_w050_160.onnx");
    protected override int[] InputShape => MobileNetV2Float.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2Float.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2Float.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2Float.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2Float.LayerNames;
}
#endif

#if BENCH_MBV2_QDQ
/// <summary>The same MobileNetV2 statically quantized to int8 in QDQ form (ORT-style): integer kernels, against ONNX Runtime's int8 path.</summary>
[Model("MobileNetV2 0.5x 160 int8 QDQ", MobileNetV2Int8Qdq.Macs, MobileNetV2Int8Qdq.ScratchBytes), Flops(2 * MobileNetV2Int8Qdq.Macs)]
public class MobileNetV2Int8QdqBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("torch-exports/mobilenet_v2_w050_160_int8_qdq.onnx");
    protected override int[] InputShape => MobileNetV2Int8Qdq.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2Int8Qdq.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2Int8Qdq.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2Int8Qdq.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2Int8Qdq.LayerNames;
}
#endif

#if BENCH_MBV2_ZOO
/// <summary>The ONNX model zoo's mobilenetv2-12-int8 (QLinearConv/QLinearAdd...), pinned to 1x3x224x224.</summary>
[Model("MobileNetV2 1.0 224 int8 (model zoo, QOperator)", MobileNetV2Int8Zoo.Macs, MobileNetV2Int8Zoo.ScratchBytes), Flops(2 * MobileNetV2Int8Zoo.Macs)]
public class MobileNetV2Int8ZooBenchmark : ModelBenchmark
{
    protected override string ModelPath => Shared("mlperf-tiny-int8_Lawrence-lugs-MARP/mobilenetv2-12-int8.onnx");
    protected override int[] InputShape => MobileNetV2Int8Zoo.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2Int8Zoo.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2Int8Zoo.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2Int8Zoo.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2Int8Zoo.LayerNames;
}
#endif

#if BENCH_MBV2_ZOO_FLOAT
/// <summary>
/// The float32 network behind the model-zoo int8 MobileNetV2 (modelc float-copy: same graph and shapes, dequantized
/// weights, each quantized op's saturation as a Clip): our float path on the same network, for int8 against float.
/// </summary>
[Model("MobileNetV2 1.0 224 float32 (float copy of the zoo int8)", MobileNetV2FloatZoo.Macs, MobileNetV2FloatZoo.ScratchBytes), Flops(2 * MobileNetV2FloatZoo.Macs)]
public class MobileNetV2FloatZooBenchmark : ModelBenchmark
{
    protected override string ModelPath => MetadataPath("MobileNetV2FloatZooPath");
    protected override int[] InputShape => MobileNetV2FloatZoo.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { MobileNetV2FloatZoo.OutputShape.ToArray() };
    protected override void Predict() => MobileNetV2FloatZoo.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => MobileNetV2FloatZoo.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => MobileNetV2FloatZoo.LayerNames;
}
#endif

#if BENCH_RESNET18
/// <summary>ResNet-18 (ImageNet, 224x224) from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18.</summary>
[Model("ResNet-18 224x224 (NuGet)", ResNet18.Macs, ResNet18.ScratchBytes), Flops(2 * ResNet18.Macs)]
public class ResNet18Benchmark : ModelBenchmark
{
    protected override string ModelPath => ResNet18Path;
    protected override int[] InputShape => ResNet18.InputShape.ToArray();
    protected override int[][] OutputShapes => new[] { ResNet18.OutputShape.ToArray() };
    protected override void Predict() => ResNet18.Predict(Input, Outputs[0]);
    public override void PredictProfiled(Span<long> ticks) => ResNet18.PredictProfiled(Input, Outputs[0], ticks);
    public override IReadOnlyList<string> LayerNames => ResNet18.LayerNames;

    private float[] _threads2Output = Array.Empty<float>();

    /// <summary>Checks that the Threads="2" build gives the single-threaded outputs.</summary>
    protected override void AfterSetup()
    {
        _threads2Output = new float[ResNet18Threads2.OutputLength];
        ResNet18Threads2.Predict(Input, _threads2Output);
        double err = 0, norm = 0;
        for (int i = 0; i < _threads2Output.Length; i++)
        {
            err += (double)(_threads2Output[i] - Outputs[0][i]) * (_threads2Output[i] - Outputs[0][i]);
            norm += (double)Outputs[0][i] * Outputs[0][i];
        }
        // NaN fails the check too.
        if (!(Math.Sqrt(err / Math.Max(norm, 1e-30)) <= 1e-4)) throw new InvalidOperationException("ResNet18Threads2 differs from ResNet18");
    }

    /// <summary>The same model compiled with Threads="2".</summary>
    [BenchmarkDotNet.Attributes.Benchmark]
    public void ModelCompilerThreads2() => ResNet18Threads2.Predict(Input, _threads2Output);
}
#endif
