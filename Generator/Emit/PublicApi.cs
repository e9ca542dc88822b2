using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// The public surface every backend generates for a model, written in one place so that the managed and the
/// ONNX Runtime classes are interchangeable: <c>Predict</c>'s parameter names ("input"/"output" when there
/// is one of each, else camelCase ONNX names made unique in graph order), the Length and Shape constants,
/// the XML documentation, and the span-length checks.
/// </summary>
internal sealed class PublicApi
{
    private readonly IReadOnlyList<TensorSignature> _inputs;
    private readonly IReadOnlyList<TensorSignature> _outputs;

    public PublicApi(IReadOnlyList<TensorSignature> inputs, IReadOnlyList<TensorSignature> outputs)
    {
        _inputs = inputs;
        _outputs = outputs;
        // "arena" is Predict's local for scratch memory in the managed backend; reserved in every backend so names agree.
        var used = new HashSet<string>(StringComparer.Ordinal) { "arena" };
        string Unique(string n)
        {
            string c = n;
            for (int k = 2; !used.Add(c); k++) c = n + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return c;
        }
        InputNames = inputs.Select(v => Unique(inputs.Count == 1 ? "input" : Identifiers.CamelCase(v.Name, "input"))).ToList();
        OutputNames = outputs.Select(v => Unique(outputs.Count == 1 ? "output" : Identifiers.CamelCase(v.Name, "output"))).ToList();
        CountNames = outputs.Select((v, k) => v.Bounded ? Unique(OutputNames[k].TrimStart('@') + "Count") : null).ToList();
    }

    /// <summary>
    /// For each output whose number of rows depends on the data (<see cref="TensorSignature.Bounded"/>), the
    /// name of Predict's <c>out int</c> parameter that receives it; null for the others.
    /// </summary>
    public IReadOnlyList<string?> CountNames { get; }

    private IEnumerable<string> Counts(string modifier) => CountNames.Where(n => n is not null).Select(n => $"{modifier} {n}");

    /// <summary>Predict's span parameter for each graph input, in graph order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Predict's span parameter for each graph output, in graph order (a value listed twice gets two).</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>"InputLength"/"OutputLength" for a lone input or output, else "&lt;Name&gt;Length".</summary>
    public string LengthConst(int k, bool input)
    {
        if ((input ? _inputs : _outputs).Count == 1) return input ? "InputLength" : "OutputLength";
        return Pascal(input ? InputNames[k] : OutputNames[k]) + "Length";
    }

    /// <summary>The comma-separated parameter list of Predict (and of the stages it calls).</summary>
    public string Parameters => ParameterList("out int");

    /// <summary>The parameter list of the stages Predict calls: row counts passed by ref (Predict sets them to 0 first).</summary>
    public string StageParameters => ParameterList("ref int");

    private string ParameterList(string countModifier) =>
        string.Join(", ", _inputs.Select((v, k) => $"global::System.ReadOnlySpan<{v.Type.CSharpName()}> {InputNames[k]}")
            .Concat(_outputs.Select((v, k) => $"global::System.Span<{v.Type.CSharpName()}> {OutputNames[k]}"))
            .Concat(Counts(countModifier)));

    /// <summary>Predict's parameter names, comma-separated, for forwarding calls to the stages (row counts by ref).</summary>
    public string Arguments => string.Join(", ", InputNames.Concat(OutputNames).Concat(Counts("ref")));

    /// <summary>The Length and Shape constants of every input and output.</summary>
    public void EmitShapeConstants(CodeWriter w)
    {
        void Pair(string prefix, TensorSignature v, string role)
        {
            string bound = v.Bounded ? $"; the first dimension is the most rows it can hold, Predict reports how many it wrote" : "";
            w.Line($"/// <summary>Number of {v.Type.OnnxName()} elements in {role} <c>{Literals.Xml(v.Name)}</c> (shape {ShapeText.Format(v.Shape)}{bound}).</summary>");
            w.Line($"public const int {prefix}Length = {v.Length};");
            w.Line($"/// <summary>Shape of {role} <c>{Literals.Xml(v.Name)}</c>, outermost dimension first{(v.Bounded ? " (the first one an upper bound)" : "")}.</summary>");
            w.Line($"public static global::System.ReadOnlySpan<int> {prefix}Shape => {Literals.IntSpan(v.Shape)};");
            w.Line();
        }
        for (int k = 0; k < _inputs.Count; k++)
            Pair(_inputs.Count == 1 ? "Input" : Pascal(InputNames[k]), _inputs[k], _inputs.Count == 1 ? "the input" : "input");
        for (int k = 0; k < _outputs.Count; k++)
            Pair(_outputs.Count == 1 ? "Output" : Pascal(OutputNames[k]), _outputs[k], _outputs.Count == 1 ? "the output" : "output");
    }

    /// <summary>Predict's XML documentation; <paramref name="exceptions"/> are extra &lt;exception&gt; lines.</summary>
    public void EmitPredictDocs(CodeWriter w, params string[] exceptions)
    {
        w.Line("/// <summary>Runs the model on one input and writes the result.</summary>");
        EmitParameterDocs(w);
        w.Line("/// <exception cref=\"global::System.ArgumentException\">A span does not have the length its tensor needs.</exception>");
        foreach (string e in exceptions) w.Line(e);
    }

    /// <summary>A &lt;param&gt; line per input and output span.</summary>
    public void EmitParameterDocs(CodeWriter w)
    {
        for (int k = 0; k < _inputs.Count; k++)
        {
            var v = _inputs[k];
            w.Line($"/// <param name=\"{InputNames[k].TrimStart('@')}\">Input <c>{Literals.Xml(v.Name)}</c>: {v.Type.OnnxName()}[{ShapeText.Format(v.Shape)}], row-major, exactly <see cref=\"{LengthConst(k, true)}\"/> elements.</param>");
        }
        for (int k = 0; k < _outputs.Count; k++)
        {
            var v = _outputs[k];
            w.Line($"/// <param name=\"{OutputNames[k].TrimStart('@')}\">Receives output <c>{Literals.Xml(v.Name)}</c>: {v.Type.OnnxName()}[{ShapeText.Format(v.Shape)}], exactly <see cref=\"{LengthConst(k, false)}\"/> elements.</param>");
        }
        for (int k = 0; k < _outputs.Count; k++)
        {
            if (CountNames[k] is not { } count) continue;
            var v = _outputs[k];
            w.Line($"/// <param name=\"{count}\">Receives how many rows of <paramref name=\"{OutputNames[k].TrimStart('@')}\"/> hold results (at most {(v.Shape.Length > 0 ? v.Shape[0] : 0)}: the number depends on the data); the rows after them hold no result.</param>");
        }
    }

    /// <summary>One check per span: a wrong length throws ArgumentException naming the parameter.</summary>
    public void EmitLengthGuards(CodeWriter w)
    {
        for (int k = 0; k < _inputs.Count; k++) Guard(w, InputNames[k], LengthConst(k, true), _inputs[k]);
        for (int k = 0; k < _outputs.Count; k++) Guard(w, OutputNames[k], LengthConst(k, false), _outputs[k]);
    }

    private static void Guard(CodeWriter w, string n, string length, TensorSignature t) =>
        w.Line($"if ({n}.Length != {length}) {RuntimeText.Prefix}{Contract.RuntimeApi.Guard.WrongLength}(nameof({n}), {length}, {n}.Length, \"{ShapeText.Format(t.Shape)}\");");

    private static string Pascal(string camel)
    {
        string t = camel.TrimStart('@');
        return t.Length == 0 ? camel : char.ToUpperInvariant(t[0]) + t.Substring(1);
    }
}
