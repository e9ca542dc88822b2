using System.IO;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.LowBit;

/// <summary>
/// The QONNX model zoo (../shared/models/qonnx-zoo): TFC_1W1A (binarized), TFC_2W2A, the UNSW-NB15 w2a2 MLP and
/// the QKeras jet tagger, plus the Brevitas one-layer BNN of the hls4ml examples, against ONNX Runtime running each
/// model with its QONNX ops rewritten into standard ONNX ops by the test (<see cref="QonnxRewrite"/>), on seeded
/// random inputs. Float tolerance: relative L2 at most 1e-4 per output (element-wise 1e-4 relative + 1e-5 absolute
/// otherwise). The rewrite evaluates the same float32 steps as the qonnx reference.
/// </summary>
public sealed class QonnxZooModelTests
{
    public static readonly string[] Models =
    {
        "qonnx-zoo/TFC_1W1A.onnx", "qonnx-zoo/TFC_2W2A.onnx", "qonnx-zoo/unsw_nb15-mlp-w2a2.onnx", "qonnx-zoo/qkeras_jettagging.onnx",
        "hls4ml-example-models/onnx/bnn_model_fc_1layer.onnx",
    };

    private static string PathOf(string id) => Path.Combine(Repo.SharedRoot, "models", id);

    private static readonly ModelSuite s_suite = new("QonnxZoo",
        Models.Select(m => new ModelSuite.Entry(m, () => File.ReadAllBytes(PathOf(m)), m.Contains("unsw") ? "1,600" : null)));

    public static TheoryData<string> Cases() => new(Models);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_onnx_runtime_on_the_rewritten_model(string id)
    {
        Repo.Shared(Path.Combine("models", id));
        var model = s_suite[id];
        Assert.True(model.Failure is null, $"{id}: {model.Failure}");
        var reference = QonnxRewrite.ToStandardOnnx(File.ReadAllBytes(PathOf(id)));
        for (uint seed = 0; seed < 4; seed++)
        {
            // TFC expects pixels in [0, 1]; the others get the same range, which their first layers map as trained.
            var inputs = model.InputLengths.Select((n, i) => OnnxModelBuilder.RandomFloats(n, 77 + seed * 7 + (uint)i).Select(v => (v + 1) / 2).ToArray()).ToArray();
            var ours = model.Run(inputs);
            var expected = OrtReference.Run(reference, inputs, model.InputShapes);
            for (int k = 0; k < ours.Length; k++)
            {
                double error = Compare.RelativeL2(expected[k], ours[k]);
                if (!(error <= 1e-4)) Compare.Close(expected[k], ours[k], rtol: 1e-4, atol: 1e-5, $"{id} seed {seed} output {k} (relative L2 {error:G3})");
            }
        }
    }
}
