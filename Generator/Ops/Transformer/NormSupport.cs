using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Transformer;

/// <summary>
/// What LayerNormalization and RMSNormalization share: X seen as [rows, cols] split at 'axis', and scale/bias
/// tensors that broadcast over the normalized trailing dimensions X[axis:] (never over the rows). The run-time
/// kernel takes one value per column; a smaller constant parameter is expanded at build time.
/// </summary>
internal static class NormSupport
{
    /// <summary>The normalized axis (default -1) and the [rows, cols] view.</summary>
    public static (int Axis, int Rows, int Cols) View(OpContext c)
    {
        int[] x = c.Shape(0);
        if (x.Length == 0) throw new ModelError("X must have at least one dimension");
        int axis = ShapeText.Axis(c.Int("axis", -1), x.Length);
        return (axis, (int)ShapeText.Product(x, 0, axis), (int)ShapeText.Product(x, axis, x.Length));
    }

    /// <summary>Checks that input <paramref name="i"/> broadcasts to X[axis:] (right-aligned, extra leading dims of 1 allowed).</summary>
    public static void CheckTrailing(OpContext c, int i, int axis, string what)
    {
        int[] x = c.Shape(0), p = c.Shape(i);
        int[] trailing = x.Skip(axis).ToArray();
        int extra = p.Length - trailing.Length;
        for (int d = 0; d < p.Length; d++)
        {
            int want = d < extra ? 1 : trailing[d - extra];
            if (p[d] != want && p[d] != 1)
                throw new ModelError($"{what} has shape {ShapeText.Format(p)}, which does not broadcast to the normalized dimensions {ShapeText.Format(trailing)} of X");
        }
    }

    /// <summary>
    /// The span expression for a per-column parameter: the input itself when it already has one value per column,
    /// else a constant expanded at build time; null when it would need expanding but is only known at run time.
    /// </summary>
    public static System.Func<LayerWriter, string>? PerColumn(OpContext c, int i, int axis)
    {
        int[] x = c.Shape(0);
        int[] trailing = x.Skip(axis).ToArray();
        if (c.In(i).ElementCount == ShapeText.Product(trailing)) return w => w.In(i);
        if (c.Const(i) is not { } t) return null;
        int[] shape = t.Shape.Length > trailing.Length ? t.Shape.Skip(t.Shape.Length - trailing.Length).ToArray() : t.Shape;
        var values = t.ToFloats();
        var map = Folding.BroadcastIndex(shape, trailing);
        var expanded = Tensor.FromFloats(new[] { map.Length }, map.Select(k => values[k]).ToArray());
        return w => w.Weight(expanded);
    }

    /// <summary>"over 64 values (axis 2), epsilon 1e-05".</summary>
    public static string Summary(int axis, int rows, int cols, float epsilon) =>
        $"{rows} rows of {cols} (axis {axis}), epsilon {LayerWriter.F(epsilon)}";
}
