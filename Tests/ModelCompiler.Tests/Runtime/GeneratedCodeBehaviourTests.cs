using System;
using System.Linq;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Runtime;

/// <summary>
/// Properties of generated Predict methods that hold for every model: results equal ONNX Runtime's, no heap
/// allocation in steady state, safe concurrent use, clear errors for wrong span lengths.
/// </summary>
public sealed class GeneratedCodeBehaviourTests
{
    // Float results: |ours - ORT| <= 1e-5 + 1e-4 * |ORT| (summation order differs from ORT's kernels).
    private const double Rtol = 1e-4, Atol = 1e-5;

    [Theory]
    [InlineData("TinyMlp")]
    [InlineData("ResidualBlock")]
    [InlineData("TwoInputsTwoOutputs")]
    public void Outputs_match_onnx_runtime(string name)
    {
        byte[] bytes = Model(name);
        var model = CompiledModel.Compile(bytes, "Behaviour." + name);
        var inputs = model.InputLengths.Select((n, i) => OnnxModelBuilder.RandomFloats(n, (uint)(100 + i))).ToArray();
        var ours = model.Run(inputs);
        var reference = OrtReference.Run(bytes, inputs);
        for (int k = 0; k < ours.Length; k++) Compare.Close(reference[k], ours[k], Rtol, Atol, $"{name} output {k}");
    }

    [Fact]
    public void Predict_allocates_nothing_after_warm_up()
    {
        var model = CompiledModel.Compile(TestModels.ResidualBlock(), "Behaviour.Allocation");
        var input = OnnxModelBuilder.RandomFloats(model.InputLengths[0], 1);
        var output = new float[model.OutputLengths[0]];
        Assert.Equal(0, model.SteadyAllocatedBytes(input, output, 100));
    }

    /// <summary>Eight threads released together by a barrier (so that they really overlap), 200 calls each on rotating inputs.</summary>
    [Fact]
    public void Eight_threads_get_identical_results()
    {
        var model = CompiledModel.Compile(TestModels.ResidualBlock(), "Behaviour.Threads");
        var inputs = Enumerable.Range(0, 8).Select(i => OnnxModelBuilder.RandomFloats(model.InputLengths[0], (uint)(7 + i))).ToArray();
        var expected = inputs.Select(i => model.Run(i)[0]).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Concurrently.Run(8, t =>
        {
            for (int call = 0; call < 200; call++)
            {
                int which = (t + call) % 8;
                var got = model.Run(inputs[which])[0];
                if (!got.SequenceEqual(expected[which])) failures.Add($"thread {t} call {call}");
            }
        });
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(1, 0)]
    public void Wrong_span_lengths_throw_ArgumentException_naming_the_parameter(int inputDelta, int outputDelta)
    {
        var model = CompiledModel.Compile(TestModels.TinyMlp(), "Behaviour.Lengths" + (inputDelta + 1) + (outputDelta + 1));
        var e = Assert.Throws<ArgumentException>(() => model.Call("WithLengths", model.InputLengths[0] + inputDelta, model.OutputLengths[0] + outputDelta));
        Assert.Equal(inputDelta != 0 ? "input" : "output", e.ParamName);
        Assert.Contains("exactly", e.Message);
    }

    private static byte[] Model(string name) => name switch
    {
        "TinyMlp" => TestModels.TinyMlp(),
        "ResidualBlock" => TestModels.ResidualBlock(),
        _ => TestModels.TwoInputsTwoOutputs(),
    };
}
