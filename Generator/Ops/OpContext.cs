using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops;

/// <summary>A node seen through the questions op schemas ask: input types, shapes, constants, attributes.</summary>
internal sealed class OpContext
{
    public OpContext(Node node) => Node = node;

    public Node Node { get; }
    public int Opset => Node.Opset;

    /// <summary>Threads a kernel may split this layer over (the model's Threads option; 1 unless set).</summary>
    public int Threads { get; init; } = 1;

    public int InputCount => Node.Inputs.Count;
    public int OutputCount => Node.Outputs.Count;

    public bool Has(int i) => Node.Input(i) is not null;
    public Value In(int i) => Node.RequiredInput(i);
    public DataType Type(int i) => In(i).Type;

    public int[] Shape(int i) => In(i).Shape ?? throw new ModelError($"the shape of input {i} ('{In(i).Name}') is unknown");
    public int Rank(int i) => Shape(i).Length;
    public Tensor? Const(int i) => Node.Input(i)?.Constant;

    public Tensor RequireConst(int i, string what) =>
        Const(i) ?? throw new ModelError($"{what} (input {i}, '{In(i).Name}') must be a constant known at build time{ComputedFrom(In(i))}; ModelCompiler compiles static graphs");

    /// <summary>", but it is computed from graph input 'x'" when a non-constant value is not itself a graph input: the input to pin or bake.</summary>
    private static string ComputedFrom(Value v)
    {
        if (v.Producer is null) return "";
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Value>();
        var pending = new Stack<Value>();
        pending.Push(v);
        while (pending.Count > 0)
        {
            var x = pending.Pop();
            if (x.IsConstant || !seen.Add(x)) continue;
            if (x.Producer is null) { sources.Add(x.Name); continue; }
            foreach (var input in x.Producer.Inputs) if (input is not null) pending.Push(input);
        }
        return sources.Count == 0 ? "" : $", but it is computed from graph input{(sources.Count > 1 ? "s" : "")} {string.Join(", ", sources.Select(n => $"'{n}'"))}";
    }

    public bool AllInputsConstant => Node.Inputs.All(v => v is null || v.IsConstant);

    public bool HasOutput(int i) => Node.Output(i) is not null;

    public void SetOutput(int i, DataType type, int[] shape)
    {
        var v = Node.Output(i);
        if (v is null) return;
        if (shape.Any(d => d < 0)) throw new ModelError($"output {i} would have a negative dimension ({ShapeText.Format(shape)})");
        v.Type = type;
        v.Shape = shape;
    }

    public long Int(string name, long fallback) => Node.GetInt(name, fallback);
    public float Float(string name, float fallback) => Node.GetFloat(name, fallback);
    public string Str(string name, string fallback) => Node.GetString(name, fallback);
    public long[]? Ints(string name) => Node.GetInts(name);
    public float[]? Floats(string name) => Node.GetFloats(name);

    public void RequireType(int i, Func<DataType, bool> ok, string expected)
    {
        if (!ok(Type(i))) throw new ModelError($"input {i} ('{In(i).Name}') has type {Type(i).OnnxName()}, expected {expected}");
    }

    public void RequireInputs(int min)
    {
        for (int i = 0; i < min; i++)
            if (!Has(i)) throw new ModelError($"{Node.OpType} needs at least {min} input(s)");
    }
}
