using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Ops;

namespace ModelCompiler.Passes.Pruning;

/// <summary>How a node treats the channel axis (axis 1) of its float input and output, as structured pruning sees it.</summary>
internal enum ChannelRole
{
    /// <summary>Not understood: the channels of every value it touches are kept.</summary>
    Opaque,
    /// <summary>Conv with one group and constant weights: its output channels may be dropped (rows of W), its input channels absorbed (columns of W).</summary>
    Conv,
    /// <summary>Depthwise Conv (group = input = output channels, constant weights): input channel c is output channel c.</summary>
    Depthwise,
    /// <summary>An element-wise op (schema trait) whose non-constant inputs all have the output's shape, the others constant scalars.</summary>
    ElementWise,
    /// <summary>Inference-mode BatchNormalization with constant parameters.</summary>
    BatchNorm,
    /// <summary>Concat along axis 1 of non-constant inputs.</summary>
    Concat,
    /// <summary>MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool: per-channel windows.</summary>
    Pool,
    /// <summary>Flatten(axis 1) of [N, C, 1, (1)]: channel c becomes feature c.</summary>
    Flatten,
    /// <summary>Gemm over features (transA 0, constant B, bias absent or per output): absorbs input features.</summary>
    Gemm,
    /// <summary>MatMul [M, K] x constant [K, N]: absorbs input features whose value is 0 (there is no bias to fold into).</summary>
    MatMul,
}

/// <summary>Classifies nodes for <see cref="StructuredPruning"/>: conservative, anything unusual is <see cref="ChannelRole.Opaque"/>.</summary>
internal static class ChannelRoles
{
    public static ChannelRole Of(Node n)
    {
        if (n.Domain.Length != 0 || n.Epilogue is not null || n.Subgraphs.Any()) return ChannelRole.Opaque;
        if (n.Output(0) is not { } y || y.Type != DataType.Float || y.Shape is null) return ChannelRole.Opaque;
        if (n.Outputs.Skip(1).Any(o => o is not null && o.Consumers.Count > 0)) return ChannelRole.Opaque;
        switch (n.OpType)
        {
            case "Conv": return Conv(n);
            case "BatchNormalization": return BatchNorm(n);
            case "Concat": return Concat(n);
            case "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool":
                return Data(n) is { Shape.Length: >= 3 } && n.Inputs.Count == 1 && n.Outputs.Count(o => o is not null) == 1 ? ChannelRole.Pool : ChannelRole.Opaque;
            case "Flatten":
                return Data(n) is { Shape: { Length: >= 3 } s } && n.GetInt("axis", 1) == 1 && s.Skip(2).All(d => d == 1) ? ChannelRole.Flatten : ChannelRole.Opaque;
            case "Gemm": return Gemm(n);
            case "MatMul":
                return Data(n) is { Shape.Length: 2 } && Weights(n.Input(1)) is { Rank: 2 } ? ChannelRole.MatMul : ChannelRole.Opaque;
        }
        var schema = OpRegistry.Find(n.Domain, n.OpType);
        if (schema?.Traits.ElementWise != true || n.Outputs.Count != 1 || y.Shape.Length < 2) return ChannelRole.Opaque;
        bool any = false;
        foreach (var x in n.Inputs)
        {
            if (x is null) continue;
            if (x.Constant is { } t) { if (t.ElementCount != 1) return ChannelRole.Opaque; continue; }
            if (x.Type != DataType.Float || x.Shape is null || !x.Shape.SequenceEqual(y.Shape)) return ChannelRole.Opaque;
            any = true;
        }
        return any ? ChannelRole.ElementWise : ChannelRole.Opaque;
    }

    /// <summary>Input 0 when it is a float, non-constant value of known shape.</summary>
    private static Value? Data(Node n) =>
        n.Input(0) is { Constant: null, Type: DataType.Float, Shape: not null } x ? x : null;

    /// <summary>A constant plain-float32 tensor (not kept compact in the blob).</summary>
    public static Tensor? Weights(Value? v) =>
        v?.Constant is { Type: DataType.Float, Encoding: null } t ? t : null;

    private static ChannelRole Conv(Node n)
    {
        if (Data(n) is not { Shape: { Length: 3 or 4 } x } || Weights(n.Input(1)) is not { } w || w.Rank != x.Length) return ChannelRole.Opaque;
        if (n.Input(2) is { } b && (Weights(b) is not { } bt || bt.ElementCount != w.Shape[0])) return ChannelRole.Opaque;
        if (n.Inputs.Count > 3) return ChannelRole.Opaque;
        long group = n.GetInt("group", 1);
        if (group == 1 && w.Shape[1] == x[1]) return ChannelRole.Conv;
        if (group == x[1] && w.Shape[0] == x[1] && w.Shape[1] == 1) return ChannelRole.Depthwise;
        return ChannelRole.Opaque;
    }

    private static ChannelRole BatchNorm(Node n)
    {
        if (Data(n) is not { Shape: { Length: >= 2 } x } || n.GetInt("training_mode", 0) != 0) return ChannelRole.Opaque;
        for (int i = 1; i <= 4; i++)
            if (Weights(n.Input(i)) is not { } t || t.ElementCount != x[1]) return ChannelRole.Opaque;
        return ChannelRole.BatchNorm;
    }

    private static ChannelRole Concat(Node n)
    {
        int rank = n.Output(0)!.Shape!.Length;
        long axis = n.GetInt("axis", 0);
        if (rank < 2 || (axis < 0 ? axis + rank : axis) != 1) return ChannelRole.Opaque;
        return n.Inputs.All(x => x is { Constant: null, Type: DataType.Float, Shape: not null }) ? ChannelRole.Concat : ChannelRole.Opaque;
    }

    private static ChannelRole Gemm(Node n)
    {
        if (Data(n) is not { Shape.Length: 2 } || n.GetInt("transA", 0) != 0 || Weights(n.Input(1)) is not { Rank: 2 } b) return ChannelRole.Opaque;
        int outputs = n.GetInt("transB", 0) != 0 ? b.Shape[0] : b.Shape[1];
        if (n.Input(2) is { } c && (Weights(c) is not { } ct || !PerOutput(ct.Shape, outputs))) return ChannelRole.Opaque;
        return ChannelRole.Gemm;
    }

    /// <summary>A Gemm bias shape that broadcasts along the rows only: [], [1], [N], [1, 1], [1, N].</summary>
    private static bool PerOutput(int[] s, int outputs) => s.Length switch
    {
        0 => true,
        1 => s[0] == 1 || s[0] == outputs,
        2 => s[0] == 1 && (s[1] == 1 || s[1] == outputs),
        _ => false,
    };

    /// <summary>No padding: auto_pad NOTSET or VALID and every pad 0.</summary>
    public static bool Unpadded(Node n)
    {
        string autoPad = n.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID")) return false;
        return n.GetInts("pads") is not { } pads || pads.All(p => p == 0);
    }

    /// <summary>Which inputs of a node of this role carry channels linked to or absorbed from its data input(s).</summary>
    public static bool ReadsChannelsAt(ChannelRole role, Node n, int slot) => role switch
    {
        ChannelRole.Opaque => false,
        ChannelRole.ElementWise or ChannelRole.Concat => n.Inputs[slot] is { Constant: null },
        _ => slot == 0,
    };
}
