using System.Collections.Generic;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// What a kernel sees while writing its layer method's body: expressions for its inputs (a parameter, or
/// a weight span for constants), its outputs, shapes and types, and the code writer.
/// </summary>
internal sealed class LayerWriter
{
    private readonly CodeWriter _code;
    private readonly WeightTable _weights;
    private readonly IReadOnlyDictionary<Value, string> _parameters;

    public LayerWriter(Node node, CodeWriter code, WeightTable weights, IReadOnlyDictionary<Value, string> parameters, string? scratch = null)
    {
        Node = node;
        _code = code;
        _weights = weights;
        _parameters = parameters;
        _scratch = scratch;
    }

    private readonly string? _scratch;

    /// <summary>
    /// A <c>Span&lt;byte&gt;</c> expression for the scratch region the memory plan reserved for this layer
    /// (<see cref="Kernel.ScratchBytes"/>, 64-byte aligned, contents undefined on entry).
    /// </summary>
    public string Scratch => _scratch ?? throw new System.InvalidOperationException($"{Node} asked for no scratch memory");

    public Node Node { get; }

    /// <summary>A ReadOnlySpan expression for input <paramref name="i"/>.</summary>
    public string In(int i)
    {
        var v = Node.RequiredInput(i);
        return v.Constant is { } t ? Weight(t) : _parameters[v];
    }

    /// <summary>A Span expression for output <paramref name="i"/>.</summary>
    public string Out(int i) => _parameters[Node.Output(i)!];

    public bool HasInput(int i) => Node.Input(i) is not null;
    public bool HasOutput(int i) => Node.Output(i) is not null;

    public int[] InShape(int i) => Node.RequiredInput(i).Shape!;
    public int[] OutShape(int i) => Node.Output(i)!.Shape!;
    public DataType InType(int i) => Node.RequiredInput(i).Type;
    public DataType OutType(int i) => Node.Output(i)!.Type;

    /// <summary>C# element type of input <paramref name="i"/>.</summary>
    public string T(int i) => InType(i).CSharpName()!;
    public string OutT(int i) => OutType(i).CSharpName()!;

    /// <summary>A span over a tensor stored in the weight blob (registered on first use).</summary>
    public string Weight(Tensor t) => _weights.Span(t);

    /// <summary>A <c>ReadOnlySpan&lt;byte&gt;</c> over an int4/uint4 constant as ONNX packs it (two per byte, low nibble first).</summary>
    public string PackedWeight(Tensor t) => _weights.PackedSpan(t);

    /// <summary>A ReadOnlySpan&lt;int&gt; expression over a table computed once from weights (see <see cref="WeightTable.DerivedInts"/>).</summary>
    public string DerivedInts(string init, string description) => _weights.DerivedInts(init, description);

    public void Line(string text = "") => _code.Line(text);
    public void Open(string text) => _code.Open(text);
    public void Close(string suffix = "") => _code.Close(suffix);

    public static string Shape(int[] shape) => Literals.IntSpan(shape);
    public static string F(float f) => Literals.Float(f);
    public static string I(long v) => Literals.Int(v);
}
