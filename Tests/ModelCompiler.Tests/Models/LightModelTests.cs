using System;
using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Models;

/// <summary>
/// ONNX's "light" architecture tests (../shared/onnx-tests/light): AlexNet, DenseNet-121, Inception v1/v2,
/// ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet with weights generated in-graph. Input is arange(n)/n in
/// the input's shape; outputs must match the stored expected output with relative L2 error at most 1e-4.
/// </summary>
public sealed class LightModelTests
{
    public static readonly string[] Names =
    {
        "bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet", "vgg19", "zfnet512",
    };

    private static string Folder => Path.Combine(Repo.SharedRoot, "onnx-tests", "light");

    private static readonly ModelSuite s_suite = new("LightModels",
        Names.Select(n => new ModelSuite.Entry(n, () => File.ReadAllBytes(Path.Combine(Folder, $"light_{n}.onnx")))));

    public static TheoryData<string> Models() => new(Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void Matches_the_expected_output(string name)
    {
        Repo.Shared(Path.Combine("onnx-tests", "light", $"light_{name}.onnx"));
        var model = s_suite[name];
        Assert.True(model.Failure is null, $"{name}: {model.Failure}");
        int n = model.InputLengths[0];
        var input = Enumerable.Range(0, n).Select(i => (float)((double)i / n)).ToArray();
        var expected = TestTensor.FromProtobufFile(Path.Combine(Folder, $"light_{name}_output_0.pb"));
        var actual = model.Run(input)[0];
        double error = Compare.RelativeL2((float[])expected.Data, actual);
        Compare.AtMost(error, 1e-4, $"{name}: relative L2 error");
    }
}
