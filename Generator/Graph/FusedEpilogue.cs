using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelCompiler.Graph;

/// <summary>
/// An activation folded into a layer: the run-time <c>ActivationKind</c> it is (<c>Act.&lt;Kind&gt;</c>, a property
/// without parameters, a factory with them) and its parameters (Clip's bounds, LeakyRelu's alpha...). Ops declare it
/// (<see cref="Ops.OpTraits.FusedActivation"/>); the emitter writes <c>Act.Kind(parameters)</c>.
/// </summary>
internal sealed class FusedActivation
{
    public FusedActivation(string kind, params float[] parameters)
    {
        Kind = kind;
        Parameters = parameters;
    }

    public string Kind { get; }
    public IReadOnlyList<float> Parameters { get; }

    /// <summary>For the layer comment: "Relu", "Clip(0, 6)", "LeakyRelu(0.1)".</summary>
    public string Text => Parameters.Count == 0 ? Kind : $"{Kind}({string.Join(", ", Parameters.Select(Number))})";

    private static string Number(float f) =>
        f == float.MaxValue ? "max" : f == -float.MaxValue ? "-max" : f.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>
/// What <see cref="Passes.EpilogueFusion"/> folded into a layer: y = AfterAdd(BeforeAdd(layer + Bias) + Residual).
/// Kernels apply it while storing their output; the straightforward kernels apply it as a second pass.
/// </summary>
internal sealed class FusedEpilogue
{
    /// <summary>A MatMul's per-column bias (from a following Add of a constant); input 2 of the node.</summary>
    public Value? Bias { get; set; }
    public FusedActivation? BeforeAdd { get; set; }
    public Value? Residual { get; set; }

    /// <summary>The node input that holds <see cref="Residual"/> (3), or -1.</summary>
    public int ResidualInput { get; set; } = -1;
    public FusedActivation? AfterAdd { get; set; }

    /// <summary>The fused ops in order, e.g. Conv, Add(residual), Relu.</summary>
    public List<string> Steps { get; } = new();

    /// <summary>"Conv + Add(residual) + Relu".</summary>
    public string Summary => string.Join(" + ", Steps);

    public bool HasActivationOrResidual => BeforeAdd is not null || Residual is not null || AfterAdd is not null;
}
