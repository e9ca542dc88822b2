using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// One strided copy between an input and an output of a node: for every index i over <see cref="Dims"/>,
/// <c>output[YOffset + Σ i[d]·YStrides[d]] = input[XOffset + Σ i[d]·XStrides[d]]</c> (offsets and strides in
/// elements). Transpose, Slice, Split, Concat, Expand, Tile, DepthToSpace and SpaceToDepth are each a few of these.
/// </summary>
internal sealed class CopyStep
{
    public CopyStep(int input, int xOffset, int[] xStrides, int output, int yOffset, int[] yStrides, int[] dims)
    {
        if (xStrides.Length != dims.Length || yStrides.Length != dims.Length) throw new ArgumentException("strides and dims differ in rank");
        Input = input;
        XOffset = xOffset;
        XStrides = xStrides;
        Output = output;
        YOffset = yOffset;
        YStrides = yStrides;
        Dims = dims;
    }

    /// <summary>A step that fills output <paramref name="output"/> completely, in row-major order of <paramref name="dims"/>.</summary>
    public static CopyStep Gather(int input, int xOffset, int[] xStrides, int output, int[] dims) =>
        new(input, xOffset, xStrides, output, 0, ShapeText.Strides(dims), dims);

    public int Input { get; }
    public int XOffset { get; }
    public int[] XStrides { get; }
    public int Output { get; }
    public int YOffset { get; }
    public int[] YStrides { get; }
    public int[] Dims { get; }

    public bool IsEmpty => Dims.Any(d => d == 0);
    public long Count => ShapeText.Product(Dims);

    /// <summary>Drops size-1 dimensions and merges neighbours that are contiguous on both sides, so the kernel walks as few loops as possible.</summary>
    public CopyStep Collapse()
    {
        var dims = new List<int>();
        var xs = new List<int>();
        var ys = new List<int>();
        for (int d = 0; d < Dims.Length; d++)
        {
            if (Dims[d] == 1) continue;
            int n = dims.Count;
            if (n > 0 && xs[n - 1] == XStrides[d] * Dims[d] && ys[n - 1] == YStrides[d] * Dims[d])
            {
                dims[n - 1] *= Dims[d];
                xs[n - 1] = XStrides[d];
                ys[n - 1] = YStrides[d];
                continue;
            }
            dims.Add(Dims[d]);
            xs.Add(XStrides[d]);
            ys.Add(YStrides[d]);
        }
        return new CopyStep(Input, XOffset, xs.ToArray(), Output, YOffset, ys.ToArray(), dims.ToArray());
    }

    /// <summary>One contiguous run (after <see cref="Collapse"/>): a plain span copy.</summary>
    public bool IsContiguous => Dims.Length == 0 || Dims.Length == 1 && XStrides[0] == 1 && YStrides[0] == 1;
}

/// <summary>
/// Base of ops that only move elements: the op describes its outputs as <see cref="CopyStep"/>s once, and
/// that description is both its build-time folding (on raw bytes, so every element type works) and its
/// run-time kernel (one <c>Layout.Copy</c> call per step, or a span copy for contiguous runs). A node whose
/// single step copies its input unchanged becomes an alias: no code, no memory.
/// </summary>
internal abstract class CopyOp : OpSchema
{
    protected override bool HasFolding => true;

    /// <summary>The copies that produce every output (called after <see cref="OpSchema.Infer"/>, so output shapes are known).</summary>
    protected abstract IReadOnlyList<CopyStep> Plan(OpContext c);

    /// <summary>What the layer comment says beyond op and shapes.</summary>
    protected virtual string Describe(OpContext c) => "";

    public override bool CanFold(OpContext c) => base.CanFold(c) && c.Type(0).BitSize() >= 8;

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        int size = Folding.MovableElementSize(x.Type);
        var outputs = new Tensor[c.OutputCount];
        var raws = new byte[c.OutputCount][];
        for (int i = 0; i < c.OutputCount; i++)
            if (c.Node.Output(i) is { } o) raws[i] = new byte[o.Type.ByteSize(o.ElementCount)];
        foreach (var step in Plan(c))
        {
            if (step.IsEmpty || raws[step.Output] is null) continue;
            var s = step.Collapse();
            var src = c.Const(s.Input)!;
            Folding.StridedCopy(src.Raw, s.XOffset, s.XStrides, raws[s.Output], s.YOffset, s.YStrides, s.Dims, size);
        }
        for (int i = 0; i < c.OutputCount; i++)
            if (c.Node.Output(i) is { } o) outputs[i] = new Tensor(o.Type, o.Shape!, raws[i]);
        return outputs;
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        var steps = Plan(c).Where(s => !s.IsEmpty && c.HasOutput(s.Output)).Select(s => s.Collapse()).ToList();
        if (IsIdentity(c, steps)) return new AliasKernel(c.Node);
        return new CallKernel(c.Node, w =>
        {
            foreach (var s in steps) EmitCopy(w, t, s);
        }, Describe(c));
    }

    /// <summary>One step copying all of input 0 unchanged into the only output: the output can simply be the input.</summary>
    private static bool IsIdentity(OpContext c, List<CopyStep> steps)
    {
        if (c.Node.Outputs.Count(o => o is not null) != 1 || !c.HasOutput(0) || steps.Count != 1) return false;
        var s = steps[0];
        long n = c.Node.Output(0)!.ElementCount;
        return s.Input == 0 && s.Output == 0 && s.XOffset == 0 && s.YOffset == 0 && s.IsContiguous
            && s.Count == n && c.In(0).ElementCount == n;
    }

    public static void EmitCopy(LayerWriter w, string t, CopyStep s)
    {
        string x = w.In(s.Input), y = w.Out(s.Output);
        if (s.Dims.Length == 0)
        {
            w.Line($"{y}[{s.YOffset}] = {x}[{s.XOffset}];");
            return;
        }
        if (s.IsContiguous)
        {
            int n = s.Dims[0];
            string from = s.XOffset == 0 && n == w.Node.RequiredInput(s.Input).ElementCount ? x : $"{x}.Slice({s.XOffset}, {n})";
            string to = s.YOffset == 0 && n == w.Node.Output(s.Output)!.ElementCount ? y : $"{y}.Slice({s.YOffset}, {n})";
            w.Line($"{from}.CopyTo({to});");
            return;
        }
        bool denseOutput = s.YOffset == 0 && s.YStrides.SequenceEqual(ShapeText.Strides(s.Dims)) && s.Count == w.Node.Output(s.Output)!.ElementCount;
        string call = denseOutput
            ? $"{x}, {s.XOffset}, {LayerWriter.Shape(s.XStrides)}, {y}, {LayerWriter.Shape(s.Dims)}"
            : $"{x}, {s.XOffset}, {LayerWriter.Shape(s.XStrides)}, {y}, {s.YOffset}, {LayerWriter.Shape(s.YStrides)}, {LayerWriter.Shape(s.Dims)}";
        w.Line($"global::ModelCompiler.Runtime.Layout.Copy<{t}>({call});");
    }
}

/// <summary>Argument reading shared by the layout ops.</summary>
internal static class LayoutArgs
{
    /// <summary>
    /// A list of ints that is an attribute before <paramref name="sinceOpset"/> and an optional constant input
    /// from then on (Squeeze/Unsqueeze axes, Split sizes, Slice starts...). Null when absent.
    /// </summary>
    public static long[]? IntsInputOrAttribute(OpContext c, int sinceOpset, int input, string attribute, string what)
    {
        if (c.Opset < sinceOpset) return c.Ints(attribute);
        return c.Has(input) ? c.RequireConst(input, what).ToLongs() : null;
    }

    /// <summary>Normalizes axes against <paramref name="rank"/> and rejects duplicates.</summary>
    public static int[] Axes(IEnumerable<long> axes, int rank, string what = "axis")
    {
        var result = axes.Select(a => ShapeText.Axis(a, rank, what)).ToArray();
        if (result.Distinct().Count() != result.Length) throw new ModelError($"the axes [{Node.Describe(axes)}] name the same axis twice");
        return result;
    }

    /// <summary>A C# literal of element type <paramref name="type"/> for element <paramref name="i"/> of <paramref name="t"/> (converted to that type).</summary>
    public static string ScalarLiteral(DataType type, Tensor t, long i = 0)
    {
        switch (type)
        {
            case DataType.Float: return Literals.Float(t.GetFloat(i));
            case DataType.Double: return Literals.Double(t.GetDouble(i));
            case DataType.Float16: return $"(global::System.Half)({Literals.Float(t.GetFloat(i))})";
            case DataType.Bool: return t.GetDouble(i) != 0 ? "true" : "false";
        }
        long v = t.Type.IsFloat() ? Tensor.FromDoubles(type, Array.Empty<int>(), new[] { t.GetDouble(i) }).GetLong(0) : t.GetLong(i);
        return type switch
        {
            DataType.Int64 => Literals.Long(v),
            DataType.UInt64 => unchecked((ulong)v).ToString(System.Globalization.CultureInfo.InvariantCulture) + "UL",
            DataType.Int32 => v == int.MinValue ? "int.MinValue" : Literals.Int((int)v),
            DataType.UInt32 => Literals.Int(unchecked((uint)v)) + "u",
            _ => $"({type.CSharpName()}){Literals.Int(v)}",
        };
    }
}
