using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Recurrent;

/// <summary>One activation function of a recurrent layer as the run-time kernel takes it.</summary>
internal readonly struct RnnFunction : IEquatable<RnnFunction>
{
    public RnnFunction(string kind, float alpha, float beta)
    {
        Kind = kind;
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>The runtime's <c>RnnActivationKind</c> member name.</summary>
    public string Kind { get; }
    public float Alpha { get; }
    public float Beta { get; }

    public string Code => $"new global::ModelCompiler.Runtime.RnnActivation(global::ModelCompiler.Runtime.RnnActivationKind.{Kind}, {Literals.Float(Alpha)}, {Literals.Float(Beta)})";

    public override string ToString() =>
        Alpha == 0 && Beta == 0 ? Kind : Beta == 0 ? $"{Kind}({Literals.Float(Alpha)})" : $"{Kind}({Literals.Float(Alpha)}, {Literals.Float(Beta)})";

    public bool Equals(RnnFunction other) => Kind == other.Kind && Alpha.Equals(other.Alpha) && Beta.Equals(other.Beta);
    public override bool Equals(object? obj) => obj is RnnFunction f && Equals(f);
    public override int GetHashCode() => Kind.GetHashCode() ^ Alpha.GetHashCode() ^ Beta.GetHashCode();
}

/// <summary>
/// The attributes LSTM, GRU and RNN share, read and checked once: direction, hidden_size, layout, clip, and the
/// activation functions with their alpha/beta. ONNX says the alpha and beta lists are "consumed in the order of the
/// activation functions"; as in ONNX Runtime, each function that takes an alpha (beta) takes the next one from its
/// list, or its default when the list is used up (LeakyRelu 0.01, HardSigmoid 0.2 and 0.5, Elu 1, others 0).
/// </summary>
internal sealed class RecurrentAttributes
{
    /// <summary>The largest hidden_size accepted (2^20 units; real recurrent layers use hundreds to a few thousand).</summary>
    public const int MaxHidden = 1 << 20;

    private static readonly Dictionary<string, (string Kind, bool Alpha, bool Beta, float DefaultAlpha, float DefaultBeta)> s_functions =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["Sigmoid"] = ("Sigmoid", false, false, 0, 0),
            ["Tanh"] = ("Tanh", false, false, 0, 0),
            ["Relu"] = ("Relu", false, false, 0, 0),
            ["Affine"] = ("Affine", true, true, 0, 0),
            ["LeakyRelu"] = ("LeakyRelu", true, false, 0.01f, 0),
            ["ThresholdedRelu"] = ("ThresholdedRelu", true, false, 0, 0),
            ["ScaledTanh"] = ("ScaledTanh", true, true, 0, 0),
            ["HardSigmoid"] = ("HardSigmoid", true, true, 0.2f, 0.5f),
            ["Elu"] = ("Elu", true, false, 1f, 0),
            ["Softsign"] = ("Softsign", false, false, 0, 0),
            ["Softplus"] = ("Softplus", false, false, 0, 0),
        };

    public RecurrentAttributes(OpContext c, int gates, string[] defaultFunctions)
    {
        Direction = c.Str("direction", "forward");
        Directions = Direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw new ModelError($"direction '{Direction}' is not forward, reverse or bidirectional"),
        };
        BatchFirst = c.Opset >= 14 && c.Int("layout", 0) != 0;
        Clip = c.Node.HasAttribute("clip") ? c.Float("clip", 0) : float.PositiveInfinity;
        if (!(Clip > 0)) throw new ModelError($"clip is {Literals.Float(Clip)}; it must be positive");

        int[] x = c.Shape(0);
        if (x.Length != 3) throw new ModelError($"X must be 3-D ({(BatchFirst ? "[batch, sequence, input]" : "[sequence, batch, input]")}) but has shape {ShapeText.Format(x)}");
        Sequence = BatchFirst ? x[1] : x[0];
        Batch = BatchFirst ? x[0] : x[1];
        Input = x[2];
        int[] r = c.Shape(2);
        long hidden = c.Node.HasAttribute("hidden_size") ? c.Int("hidden_size", 0) : r.Length == 3 ? r[2] : 0;
        // Bounded so that gates * hidden_size and the packed weight sizes stay far inside int (fuzz seed 20261205 case 788).
        if (hidden <= 0 || hidden > MaxHidden) throw new ModelError($"hidden_size is {hidden}; it must be between 1 and {MaxHidden}");
        Hidden = (int)hidden;
        if (Batch <= 0 || Input <= 0) throw new ModelError($"X of shape {ShapeText.Format(x)} has an empty batch or input dimension");

        Functions = ReadFunctions(c, defaultFunctions);
    }

    public string Direction { get; }
    public int Directions { get; }
    public bool BatchFirst { get; }
    public float Clip { get; }
    public int Sequence { get; }
    public int Batch { get; }
    public int Input { get; }
    public int Hidden { get; }

    /// <summary>Per direction, the functions in ONNX order (f, g, h for LSTM; f, g for GRU; f for RNN).</summary>
    public RnnFunction[][] Functions { get; }

    /// <summary>[directions, batch, hidden] or, with layout 1, [batch, directions, hidden].</summary>
    public int[] StateShape => BatchFirst ? new[] { Batch, Directions, Hidden } : new[] { Directions, Batch, Hidden };

    public int[] YShape => BatchFirst ? new[] { Batch, Sequence, Directions, Hidden } : new[] { Sequence, Directions, Batch, Hidden };

    public string DirectionCode => "global::ModelCompiler.Runtime.RnnDirection." + (Directions == 2 ? "Bidirectional" : Direction == "reverse" ? "Reverse" : "Forward");

    public string ShapeCode =>
        $"new global::ModelCompiler.Runtime.RecurrentShape(sequence: {Sequence}, batch: {Batch}, input: {Input}, hidden: {Hidden}, {DirectionCode}, batchFirst: {(BatchFirst ? "true" : "false")})";

    public string ClipCode => float.IsPositiveInfinity(Clip) ? "float.PositiveInfinity" : Literals.Float(Clip);

    /// <summary>The runtime's <c>RnnActivations</c> for direction <paramref name="d"/> (the defaults by name when they are).</summary>
    public string ActivationsCode(int d, string[] defaultFunctions)
    {
        var f = Functions[Math.Min(d, Functions.Length - 1)];
        if (f.Select(x => x.ToString()).SequenceEqual(defaultFunctions))
            return "global::ModelCompiler.Runtime.RnnActivations." + (defaultFunctions.Length == 1 ? "SimpleDefault" : "Default");
        string At(int k) => f[Math.Min(k, f.Length - 1)].Code;
        return $"new global::ModelCompiler.Runtime.RnnActivations({At(0)}, {At(1)}, {At(2)})";
    }

    /// <summary>"forward", "reverse, clip 3", "bidirectional, activations Relu" for the layer comment.</summary>
    public string Describe(string[] defaultFunctions)
    {
        var parts = new List<string> { Direction };
        if (BatchFirst) parts.Add("layout 1 (batch first)");
        if (!float.IsPositiveInfinity(Clip)) parts.Add("clip " + Literals.Float(Clip));
        var names = Functions.SelectMany(f => f).Select(f => f.ToString()).ToList();
        if (!Functions.All(f => f.Select(x => x.ToString()).SequenceEqual(defaultFunctions))) parts.Add("activations " + string.Join(", ", names));
        return string.Join(", ", parts);
    }

    private RnnFunction[][] ReadFunctions(OpContext c, string[] defaults)
    {
        int count = defaults.Length;
        var names = c.Node.Attributes.TryGetValue("activations", out var a)
            ? (a.Kind == AttributeKind.Strings ? a.Strings.ToArray() : a.Kind == AttributeKind.String ? new[] { a.S } : throw new ModelError("attribute 'activations' should be a list of strings"))
            : Enumerable.Repeat(defaults, Directions).SelectMany(d => d).ToArray();
        if (names.Length == count && Directions == 2) names = names.Concat(names).ToArray();
        if (names.Length != count * Directions)
            throw new ModelError($"activations lists {names.Length} function(s); a {Direction} {c.Node.OpType} needs {count} per direction ({count * Directions})");
        var alphas = new Queue<float>(c.Floats("activation_alpha") ?? Array.Empty<float>());
        var betas = new Queue<float>(c.Floats("activation_beta") ?? Array.Empty<float>());
        var functions = new RnnFunction[names.Length];
        for (int k = 0; k < names.Length; k++)
        {
            if (!s_functions.TryGetValue(names[k], out var f))
                throw new ModelError($"activation '{names[k]}' is not one ONNX allows ({string.Join(", ", s_functions.Values.Select(v => v.Kind))})");
            float alpha = f.Alpha ? (alphas.Count > 0 ? alphas.Dequeue() : f.DefaultAlpha) : 0f;
            float beta = f.Beta ? (betas.Count > 0 ? betas.Dequeue() : f.DefaultBeta) : 0f;
            functions[k] = new RnnFunction(f.Kind, alpha, beta);
        }
        return Enumerable.Range(0, Directions).Select(d => functions.Skip(d * count).Take(count).ToArray()).ToArray();
    }
}
