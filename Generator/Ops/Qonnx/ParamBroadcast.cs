using System;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Qonnx;

/// <summary>
/// Constant parameters that broadcast against a tensor (numpy rules), laid out for the run-time kernels: each
/// parameter expanded over the block of axes from the first to the last one any parameter varies on, so that
/// element <c>i</c> of the tensor uses entry <c>(i / Inner) % Length</c>. Scalars give Length 1.
/// </summary>
internal sealed class ParamBroadcast
{
    private ParamBroadcast(float[][] values, int inner)
    {
        Values = values;
        Inner = inner;
    }

    public float[][] Values { get; }
    public int Inner { get; }
    public int Length => Values[0].Length;

    /// <summary>Parameters already laid out (all of one length) for elements in runs of <paramref name="inner"/>.</summary>
    public static ParamBroadcast FromValues(float[][] values, int inner) => new(values, inner);

    /// <summary>Lays out <paramref name="parameters"/> for a tensor of <paramref name="shape"/>; throws when one does not broadcast into it.</summary>
    public static ParamBroadcast Of(int[] shape, string[] names, params Tensor[] parameters)
    {
        int rank = shape.Length;
        var aligned = new int[parameters.Length][];
        for (int p = 0; p < parameters.Length; p++)
        {
            var s = parameters[p].Shape;
            if (s.Length > rank) throw new ModelError($"the {names[p]} has shape {ShapeText.Format(s)}, of higher rank than the input's {ShapeText.Format(shape)}");
            aligned[p] = Enumerable.Repeat(1, rank - s.Length).Concat(s).ToArray();
            for (int d = 0; d < rank; d++)
                if (aligned[p][d] != 1 && aligned[p][d] != shape[d])
                    throw new ModelError($"the {names[p]} of shape {ShapeText.Format(s)} does not broadcast to the input's shape {ShapeText.Format(shape)}");
        }
        int first = rank, last = -1;
        foreach (var a in aligned)
            for (int d = 0; d < rank; d++)
                if (a[d] != 1) { first = Math.Min(first, d); last = Math.Max(last, d); }
        if (last < 0) return new ParamBroadcast(parameters.Select(t => new[] { t.GetFloat(0) }).ToArray(), 1);

        int length = 1, inner = 1;
        for (int d = first; d <= last; d++) length = checked(length * shape[d]);
        for (int d = last + 1; d < rank; d++) inner = checked(inner * shape[d]);
        var values = new float[parameters.Length][];
        for (int p = 0; p < parameters.Length; p++)
        {
            var a = aligned[p];
            var source = parameters[p].ToFloats();
            var expanded = new float[length];
            for (int j = 0; j < length; j++)
            {
                // j's coordinates in the block, mapped to the parameter's own (broadcast) index.
                long rest = j, index = 0, stride = 1;
                for (int d = last; d >= first; d--)
                {
                    long coordinate = rest % shape[d];
                    rest /= shape[d];
                    if (a[d] != 1) index += coordinate * stride;
                    stride *= a[d];
                }
                // Axes before the block are all 1 in every parameter, so the block index is the whole index.
                expanded[j] = source[index];
            }
            values[p] = expanded;
        }
        return new ParamBroadcast(values, inner);
    }
}
