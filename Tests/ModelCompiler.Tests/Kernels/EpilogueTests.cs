using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The fused epilogue (<see cref="Epilogue"/>) against the element-wise definitions of each activation, and
/// against the unfused layers' kernels (<see cref="Activations"/>), including NaN and signed zeros.
/// </summary>
public sealed class EpilogueTests
{
    private static float Relu(float v) => float.IsNaN(v) ? v : v > 0 ? v : 0;
    private static float Clip(float v, float lo, float hi) => float.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi);
    private static float HardSigmoid(float v, float a, float b) => float.IsNaN(v) ? v : Math.Max(0, Math.Min(1, v * a + b));

    /// <summary>Each epilogue the fusion pass can produce, with and without a residual, and its scalar reference.</summary>
    internal static IEnumerable<(Epilogue Epilogue, bool Residual, Func<float, float, float> Reference)> Cases()
    {
        yield return (Epilogue.None, false, (v, r) => v);
        yield return (Epilogue.None, true, (v, r) => v + r);
        yield return (new Epilogue(Act.Relu), false, (v, r) => Relu(v));
        yield return (new Epilogue(Act.Clip(0f, 6f)), false, (v, r) => Clip(v, 0, 6));
        yield return (new Epilogue(Act.LeakyRelu(0.1f)), false, (v, r) => v < 0 ? v * 0.1f : v);
        yield return (new Epilogue(Act.HardSwish), false, (v, r) => v * HardSigmoid(v, 1f / 6f, 0.5f));
        yield return (new Epilogue(Act.HardSigmoid(0.2f, 0.5f)), false, (v, r) => HardSigmoid(v, 0.2f, 0.5f));
        yield return (new Epilogue(Act.Sigmoid), false, (v, r) => (float)(1 / (1 + Math.Exp(-v))));
        yield return (new Epilogue(Act.None, Act.Relu), true, (v, r) => Relu(v + r));
        yield return (new Epilogue(Act.Relu, Act.None), true, (v, r) => Relu(v) + r);
        yield return (new Epilogue(Act.Clip(-1f, 1f), Act.Sigmoid), true, (v, r) => (float)(1 / (1 + Math.Exp(-(Clip(v, -1, 1) + r)))));
    }

    internal static string Describe(Epilogue e, bool residual) =>
        $"{e.BeforeAdd.Kind}{(residual ? " + residual" : "")}{(e.AfterAdd.Kind != ActivationKind.None ? " + " + e.AfterAdd.Kind : "")}";

    [Fact]
    public void Every_epilogue_matches_its_definition_on_awkward_values()
    {
        float[] values = Random(203, 11, 8f).Concat(new[] { 0f, -0f, float.NaN, 1e-30f, -1e-30f, 6f, -6f, 3f, -3f, 1e30f, -1e30f }).ToArray();
        float[] residual = Random(values.Length, 12, 2f);
        foreach (var (epilogue, withResidual, reference) in Cases())
        {
            var y = values.ToArray();
            Epilogue.Apply(y, withResidual ? residual : default, epilogue);
            var expected = values.Select((v, i) => reference(v, withResidual ? residual[i] : 0f)).ToArray();
            AssertClose(expected, y, Describe(epilogue, withResidual));
        }
    }

    [Fact]
    public void Fused_activations_give_the_unfused_kernels_results()
    {
        float[] x = Random(1000, 13, 10f);
        void Same(Epilogue e, Action<float[], float[]> unfused, string what)
        {
            var expected = new float[x.Length];
            unfused(x, expected);
            var y = x.ToArray();
            Epilogue.Apply(y, default, e);
            AssertClose(expected, y, what);
        }
        Same(new Epilogue(Act.Relu), (a, b) => Activations.Relu<float>(a, b), "Relu");
        Same(new Epilogue(Act.Clip(0, 6)), (a, b) => Activations.Clip<float>(a, b, 0, 6), "Clip");
        Same(new Epilogue(Act.LeakyRelu(0.01f)), (a, b) => Activations.LeakyRelu<float>(a, b, 0.01f), "LeakyRelu");
        Same(new Epilogue(Act.HardSwish), (a, b) => Activations.HardSwish<float>(a, b), "HardSwish");
        Same(new Epilogue(Act.HardSigmoid(0.2f, 0.5f)), (a, b) => Activations.HardSigmoid<float>(a, b, 0.2f, 0.5f), "HardSigmoid");
        Same(new Epilogue(Act.Sigmoid), (a, b) => Activations.Sigmoid<float>(a, b), "Sigmoid");
    }

    [Fact]
    public void A_residual_of_the_wrong_length_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Epilogue.Apply(new float[4], new float[3], Epilogue.None));
    }
}
