using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX Slice. Before opset 10 starts/ends/axes are attributes; from 10 they are inputs (starts, ends, optional
/// axes, optional steps) that must be constants. Negative indices count from the end, out-of-range ones clamp
/// (INT64_MAX means "to the end"), negative steps walk backwards. The result is one strided copy (a negative
/// stride for negative steps); a slice that keeps everything is a view of the input.
/// </summary>
internal sealed class SliceOp : CopyOp
{
    public override string OpType => "Slice";

    /// <summary>Moves data only: a DequantizeLinear before it moves behind it.</summary>
    public override OpTraits Traits => OpTraits.DataMovement;

    /// <summary>Per input dimension: first index, step, element count.</summary>
    private static (int Start, int Step, int Count)[] Resolve(OpContext c)
    {
        var x = c.Shape(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (c.Opset < 10)
        {
            starts = c.Ints("starts") ?? throw new ModelError("the 'starts' attribute is missing");
            ends = c.Ints("ends") ?? throw new ModelError("the 'ends' attribute is missing");
            axes = c.Ints("axes");
        }
        else
        {
            c.RequireInputs(3);
            starts = c.RequireConst(1, "the slice starts").ToLongs();
            ends = c.RequireConst(2, "the slice ends").ToLongs();
            axes = c.Has(3) ? c.RequireConst(3, "the slice axes").ToLongs() : null;
            steps = c.Has(4) ? c.RequireConst(4, "the slice steps").ToLongs() : null;
        }
        if (ends.Length != starts.Length) throw new ModelError($"starts has {starts.Length} entries but ends has {ends.Length}");
        if (axes is not null && axes.Length != starts.Length) throw new ModelError($"starts has {starts.Length} entries but axes has {axes.Length}");
        if (steps is not null && steps.Length != starts.Length) throw new ModelError($"starts has {starts.Length} entries but steps has {steps.Length}");
        var axisList = axes is null ? Enumerable.Range(0, starts.Length).ToArray() : LayoutArgs.Axes(axes, x.Length);
        if (axisList.Any(a => a >= x.Length)) throw new ModelError($"{starts.Length} starts for an input of rank {x.Length}");

        var result = x.Select(d => (0, 1, d)).ToArray();
        for (int k = 0; k < axisList.Length; k++)
        {
            int axis = axisList[k];
            long dim = x[axis];
            long step = steps?[k] ?? 1;
            if (step == 0) throw new ModelError($"the step for axis {axis} is 0");
            long start = starts[k], end = ends[k];
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            long count;
            if (step > 0)
            {
                start = Clamp(start, 0, dim);
                end = Clamp(end, 0, dim);
                count = end > start ? (end - start + step - 1) / step : 0;
            }
            else
            {
                start = Clamp(start, 0, dim - 1);
                end = Clamp(end, -1, dim - 1);
                count = start > end ? (start - end - step - 1) / -step : 0;
            }
            if (dim == 0 || count == 0) { start = 0; count = 0; }
            if (count <= 1) step = 1; // a single element: the step no longer matters (and may not fit in 32 bits)
            result[axis] = ((int)start, (int)step, (int)count);
        }
        return result;
    }

    private static long Clamp(long v, long lo, long hi) => Math.Max(lo, Math.Min(hi, v));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        c.SetOutput(0, c.Type(0), Resolve(c).Select(r => r.Count).ToArray());
    }

    protected override IReadOnlyList<CopyStep> Plan(OpContext c)
    {
        var strides = ShapeText.Strides(c.Shape(0));
        var r = Resolve(c);
        int offset = 0;
        for (int d = 0; d < r.Length; d++) offset += r[d].Start * strides[d];
        return new[] { CopyStep.Gather(0, offset, r.Select((s, d) => s.Step * strides[d]).ToArray(), 0, r.Select(s => s.Count).ToArray()) };
    }

    protected override string Describe(OpContext c)
    {
        var x = c.Shape(0);
        var r = Resolve(c);
        var parts = r.Select((s, d) => s.Start == 0 && s.Step == 1 && s.Count == x[d] ? ":"
            : s.Step == 1 ? $"{s.Start}:{s.Start + s.Count}"
            : s.Start + s.Step * s.Count < 0 ? $"{s.Start}::{s.Step}" // walks back past index 0
            : $"{s.Start}:{s.Start + s.Step * s.Count}:{s.Step}");
        return "[" + string.Join(", ", parts) + "]";
    }
}
