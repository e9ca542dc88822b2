using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Runs a model compiled by ModelCompiler and by ONNX Runtime (graph as written, one thread) on the same inputs.</summary>
internal static class OrtCheck
{
    public const double Rtol = 1e-4, Atol = 1e-6;

    /// <summary>Every output within 1e-6 + 1e-4 |ONNX Runtime| (float), exactly equal otherwise.</summary>
    public static void Matches(CompiledModel model, byte[] bytes, string what, params TestTensor[] inputs)
    {
        var expected = OrtReference.RunTyped(bytes, inputs);
        var actual = model.RunTyped(inputs.Select(i => i.Data).ToArray());
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Compare.Close(expected[k].Data, actual[k].Data, Rtol, Atol, $"{what}: output {k} ('{expected[k].Name}')");
    }

    public static TestTensor Floats(string name, int[] shape, uint seed, float scale = 1f) =>
        TestTensor.Floats(name, shape, OnnxModelBuilder.RandomFloats((int)ShapeText.Product(shape), seed).Select(v => v * scale).ToArray());

    public static TestTensor Flag(string name, bool value) => new(name, (int)DataType.Bool, Array.Empty<int>(), new[] { value });

    public static TestTensor Count(string name, long value) => new(name, (int)DataType.Int64, Array.Empty<int>(), new[] { value });
}
