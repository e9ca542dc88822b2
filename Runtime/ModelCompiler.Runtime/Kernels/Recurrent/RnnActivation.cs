using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>The activation functions ONNX allows in LSTM, GRU and RNN (the <c>activations</c> attribute).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum RnnActivationKind
{
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>alpha * x + beta.</summary>
    Affine,
    /// <summary>x &lt; 0 ? alpha * x : x.</summary>
    LeakyRelu,
    /// <summary>x &gt; alpha ? x : 0.</summary>
    ThresholdedRelu,
    /// <summary>alpha * tanh(beta * x).</summary>
    ScaledTanh,
    /// <summary>min(max(alpha * x + beta, 0), 1).</summary>
    HardSigmoid,
    /// <summary>x &gt;= 0 ? x : alpha * (e^x - 1).</summary>
    Elu,
    /// <summary>x / (1 + |x|).</summary>
    Softsign,
    /// <summary>log(1 + e^x).</summary>
    Softplus,
}

/// <summary>One activation function with its alpha and beta (0 where the function has none).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct RnnActivation
{
    /// <summary>A function and its parameters.</summary>
    public RnnActivation(RnnActivationKind kind, float alpha = 0f, float beta = 0f)
    {
        Kind = kind;
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>The function.</summary>
    public RnnActivationKind Kind { get; }
    /// <summary>Its alpha (Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu).</summary>
    public float Alpha { get; }
    /// <summary>Its beta (Affine, ScaledTanh, HardSigmoid).</summary>
    public float Beta { get; }

    /// <summary>The logistic function.</summary>
    public static RnnActivation Sigmoid => new(RnnActivationKind.Sigmoid);
    /// <summary>The hyperbolic tangent.</summary>
    public static RnnActivation Tanh => new(RnnActivationKind.Tanh);
}

/// <summary>
/// The activation functions of one direction: <see cref="F"/> for the gates, <see cref="G"/> for the cell/hidden
/// candidate, <see cref="H"/> for the LSTM output. ONNX's defaults: LSTM (Sigmoid, Tanh, Tanh), GRU (Sigmoid,
/// Tanh), RNN (Tanh).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct RnnActivations
{
    /// <summary>The functions of one direction (unused ones are ignored).</summary>
    public RnnActivations(RnnActivation f, RnnActivation g, RnnActivation h)
    {
        F = f;
        G = g;
        H = h;
    }

    /// <summary>The gate function (LSTM i, o, f; GRU z, r; RNN the only one).</summary>
    public RnnActivation F { get; }
    /// <summary>The candidate function (LSTM c, GRU h).</summary>
    public RnnActivation G { get; }
    /// <summary>The LSTM output function.</summary>
    public RnnActivation H { get; }

    /// <summary>Sigmoid gates, Tanh candidate and output: the LSTM and GRU defaults.</summary>
    public static RnnActivations Default => new(RnnActivation.Sigmoid, RnnActivation.Tanh, RnnActivation.Tanh);

    /// <summary>Tanh: the RNN default.</summary>
    public static RnnActivations SimpleDefault => new(RnnActivation.Tanh, RnnActivation.Tanh, RnnActivation.Tanh);
}
