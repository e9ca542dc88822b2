using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// Real pretrained float models from ../shared/models (MNIST CNNs, SqueezeNet CIFAR-10, the pruned EMCLab-iPrune
/// models, face detectors, NanoDet-m, Yolo-FastestV2, hls4ml MLPs and convs...), compiled and compared with
/// ONNX Runtime on seeded random inputs: every output's relative L2 error must be at most 1e-4. An output made
/// only of tiny values (the objectness scores of a face detector on noise are about 1e-7) is judged element-wise
/// instead, |ours - ORT| &lt;= 1e-6 + 1e-4 |ORT|: there relative L2 measures ONNX Runtime's own error, since its
/// MLAS logistic function is accurate to about 2e-7 absolute (sigmoid(-16.2) = 9.1e-8 comes back as 2.1e-7).
/// </summary>
public sealed class RealModelTests
{
    /// <summary>(id, path under ../shared/models, InputShape to pin dynamic dims or null).</summary>
    public static readonly (string Id, string Path, string? InputShape)[] Catalog =
    {
        ("mnist_onnx2c", "onnx2c/test/mnist/model.onnx", null),
        ("mnist_onnx2c_pytorch", "onnx2c/test/mnist/pytorch.onnx", null),
        ("mnist_atmega_simplified", "onnx2c/examples_atmega_mnist/mnist.simplified.onnx", null),
        ("mnist7_migraphx", "migraphx-examples/cpp_mnist/mnist-7.onnx", null),
        ("mnist8_migraphx", "migraphx-examples/cpp_mnist/mnist-8.onnx", null),
        ("mnist_ort_example", "ort-inference-examples/MNIST/mnist.onnx", null),
        ("mnist_wonnx_opt", "wonnx/opt-mnist.onnx", null),
        ("tfl_helloworld", "onnx2c/test/tfl_helloworld/model.onnx", "1,1"),
        ("velardo_lesson9", "onnx2c/test/velardo/lesson9.onnx", "1,2"),
        ("velardo_lesson14", "onnx2c/test/velardo/lesson14.onnx", "1,130,13"),
        ("tract_keras_example", "tract/keras-tract-tf2/example.onnx", "1,100"),

        ("squeezenet_cifar10_dynbal", "EMCLab-DynBal/dnn-models/squeezenet_cifar10.onnx", "1,3,32,32"),
        ("squeezenet_cifar10_stateful", "EMCLab-Stateful-CNN/dnn-models/squeezenet_cifar10.onnx", "1,32,32,3"),
        ("cifar10_cnn_dynbal", "EMCLab-DynBal/dnn-models/cifar10-cnn.onnx", "1,3,32,32"),
        ("har_cnn_dynbal", "EMCLab-DynBal/dnn-models/HAR-CNN.onnx", "1,9,128"),
        ("kws_dnn_s_dynbal", "EMCLab-DynBal/dnn-models/KWS-DNN_S.onnx", null),
        ("iprune_energy_har", "EMCLab-iPrune/pruning/onnx_models/energy/HAR.onnx", null),
        ("iprune_energy_kws_cnn_s", "EMCLab-iPrune/pruning/onnx_models/energy/KWS_CNN_S.onnx", null),
        ("iprune_energy_squeezenet", "EMCLab-iPrune/pruning/onnx_models/energy/SqueezeNet.onnx", null),
        ("iprune_intermittent_har", "EMCLab-iPrune/pruning/onnx_models/intermittent/HAR.onnx", null),
        ("iprune_intermittent_kws_cnn_s", "EMCLab-iPrune/pruning/onnx_models/intermittent/KWS_CNN_S.onnx", null),
        ("iprune_intermittent_squeezenet", "EMCLab-iPrune/pruning/onnx_models/intermittent/SqueezeNet.onnx", null),

        ("yunet_n_320", "libfacedetection.train/yunet/yunet_n_320_320.onnx", null),
        ("yunet_s_320", "libfacedetection.train/yunet/yunet_s_320_320.onnx", null),
        ("yunet_n_dynamic_320", "libfacedetection.train/yunet/yunet_n_dynamic.onnx", "1,3,320,320"),
        ("yunet_final_320_simplify", "libfacedetection.train/onnx_at_204b0c9/yunet_yunet_final_320_320_simplify.onnx", null),
        ("yunet_final_dynamic_simplify", "libfacedetection.train/onnx_at_204b0c9/yunet_yunet_final_dynamic_simplify.onnx", "1,3,320,320"),
        ("retinaface_mbnet025", "libfacedetection.train/onnx_at_204b0c9/retinaface_mbnet0.25.onnx", "1,3,320,320"),
        ("scrfd_500m", "libfacedetection.train/onnx_at_204b0c9/scrfd_500m_bnkps.onnx", "1,3,320,320"),
        ("yolo5face_500m_320", "libfacedetection.train/onnx_at_204b0c9/yolo5face_500m_320x320.onnx", "1,3,320,320"),
        ("ultraface_slim_320", "ultraface/models_onnx/version-slim-320.onnx", null),
        ("ultraface_slim_320_simplified", "ultraface/models_onnx/version-slim-320_simplified.onnx", null),
        ("ultraface_slim_320_no_post", "ultraface/models_onnx/version-slim-320_without_postprocessing.onnx", null),
        ("ultraface_rfb_320", "ultraface/models_onnx/version-RFB-320.onnx", null),
        ("ultraface_rfb_320_simplified", "ultraface/models_onnx/version-RFB-320_simplified.onnx", null),
        ("ultraface_rfb_320_ort_example", "ort-inference-examples/ultraface/Ultraface.version-RFB-320.onnx", null),
        ("nanodet_m", "nanodet_hpc203/nanodet_m.onnx", null),
        ("nanodet", "nanodet_hpc203/nanodet.onnx", null),
        ("yolo_fastestv2", "yolo-fastestv2_hpc203/model.onnx", null),
        ("fastestdet", "ort-extensions/FastestDet.onnx", null),
        ("super_resolution", "ort-extensions/pytorch_super_resolution.onnx", "1,1,224,224"),

        ("hls4ml_two_layer_keras", "hls4ml-example-models/onnx/two_layer_keras.onnx", null),
        ("hls4ml_two_layer_pytorch", "hls4ml-example-models/onnx/two_layer_pytorch.onnx", null),
        ("hls4ml_three_layer_keras", "hls4ml-example-models/onnx/three_layer_keras.onnx", null),
        ("hls4ml_three_layer_pytorch", "hls4ml-example-models/onnx/three_layer_pytorch.onnx", null),
        ("hls4ml_three_layer_bn_pytorch", "hls4ml-example-models/onnx/three_layer_bn_pytorch.onnx", "1,16"), // opset 6, exported with a fixed batch of 789444
        // Not listed: hls4ml three_layer_bn_keras.onnx transposes [1,64] to [64,1] before each BatchNormalization, so its
        // 64 scale values meet 1 channel; ONNX Runtime rejects it too ("Invalid input scale"), and so does ModelCompiler (MC0008).
        ("hls4ml_dense_big_keras", "hls4ml-example-models/onnx/dense_big_keras.onnx", null),
        ("hls4ml_conv1d_small_keras", "hls4ml-example-models/onnx/conv1d_small_keras.onnx", null),
        ("hls4ml_conv2d_small_keras", "hls4ml-example-models/onnx/conv2d_small_keras.onnx", null),
        ("hls4ml_conv2d_small_mp_keras", "hls4ml-example-models/onnx/conv2d_small_mp_keras.onnx", null),
    };

    private static string PathOf(string relative) => System.IO.Path.Combine(Repo.SharedRoot, "models", relative);

    private static readonly ModelSuite s_suite = new("RealModels",
        Catalog.Select(m => new ModelSuite.Entry(m.Id, () => File.ReadAllBytes(PathOf(m.Path)), m.InputShape)));

    public static TheoryData<string> Models() => new(Catalog.Select(m => m.Id));

    [Theory]
    [MemberData(nameof(Models))]
    public void Matches_onnx_runtime_on_random_inputs(string id)
    {
        var entry = Catalog.Single(m => m.Id == id);
        Repo.Shared(System.IO.Path.Combine("models", entry.Path));
        var model = s_suite[id];
        Assert.True(model.Failure is null, $"{id}: {model.Failure}");

        var inputs = model.InputLengths.Select((n, i) => OnnxModelBuilder.RandomFloats(n, (uint)(1234 + i)).Select(v => (v + 1) / 2).ToArray()).ToArray();
        var ours = model.Run(inputs);
        var reference = OrtReference.Run(File.ReadAllBytes(PathOf(entry.Path)), inputs, model.InputShapes);
        Assert.Equal(reference.Length, ours.Length);
        for (int k = 0; k < ours.Length; k++)
            Compare.RelativeL2OrElementwise(reference[k], ours[k], l2Tolerance: 1e-4, rtol: 1e-4, atol: 1e-6, $"{id} output {k}");
    }
}
