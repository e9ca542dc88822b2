using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Index;

/// <summary>
/// ONNX TensorScatter (opset 24): past_cache with update written along 'axis' (default -2; not the batch axis 0)
/// at each batch entry's write_indices (int64 [batch], zeros when absent; read at run time), "linear" or
/// "circular" (modulo the cache length). update has the cache's shape except along the axis. Any element type.
/// </summary>
internal sealed class TensorScatterOp : OpSchema
{
    public override string OpType => "TensorScatter";

    private static int Axis(OpContext c)
    {
        int rank = c.Shape(0).Length;
        int axis = ShapeText.Axis(c.Int("axis", -2), rank);
        if (axis == 0) throw new ModelError("axis must not be the batch axis 0");
        return axis;
    }

    private static bool Circular(OpContext c) => c.Str("mode", "linear") switch
    {
        "linear" => false,
        "circular" => true,
        string m => throw new ModelError($"mode is \"{m}\"; TensorScatter knows \"linear\" and \"circular\""),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        int[] cache = c.Shape(0), update = c.Shape(1);
        if (cache.Length < 2) throw new ModelError($"past_cache must have rank 2 or more but has shape {ShapeText.Format(cache)}");
        int axis = Axis(c);
        _ = Circular(c);
        if (c.Type(1) != c.Type(0)) throw new ModelError($"update has type {c.Type(1).OnnxName()} but past_cache {c.Type(0).OnnxName()}");
        bool fits = update.Length == cache.Length;
        for (int d = 0; fits && d < cache.Length; d++)
            fits = d == axis ? update[d] <= cache[d] : update[d] == cache[d];
        if (!fits) throw new ModelError($"update of shape {ShapeText.Format(update)} must match past_cache {ShapeText.Format(cache)} except along axis {axis}, where it may be shorter");
        if (c.Has(2))
        {
            c.RequireType(2, t => t == DataType.Int64, "int64 write indices");
            if (c.Shape(2).Length != 1 || c.Shape(2)[0] != cache[0]) throw new ModelError($"write_indices must have shape [{cache[0]}] but has {ShapeText.Format(c.Shape(2))}");
        }
        c.SetOutput(0, c.Type(0), cache);
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        string? t = c.Type(0).CSharpName();
        if (t is null) return null;
        int[] cache = c.Shape(0), update = c.Shape(1);
        int axis = Axis(c);
        bool circular = Circular(c);
        int prefix = (int)ShapeText.Product(cache, 1, axis), inner = (int)ShapeText.Product(cache, axis + 1, cache.Length);
        return new CallKernel(c.Node, w => w.Line(
            $"{IndexArgs.Runtime}.TensorScatter<{t}, long>({w.In(0)}, {w.In(1)}, {(w.HasInput(2) ? w.In(2) : "default")}, {w.Out(0)}, batch: {cache[0]}, prefix: {prefix}, maxSequence: {cache[axis]}, sequence: {update[axis]}, inner: {inner}, circular: {(circular ? "true" : "false")});"),
            $"{update[axis]} of {cache[axis]} steps along axis {axis}{(circular ? ", circular" : "")}");
    }
}
