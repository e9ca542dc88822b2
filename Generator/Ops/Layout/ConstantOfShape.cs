using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Layout;

/// <summary>
/// ONNX ConstantOfShape (opset 9+): a tensor of the constant shape given by input 0, filled with the one-element
/// 'value' attribute (any type; float32 0 by default). It folds; outputs too big to fold are a run-time fill.
/// </summary>
internal sealed class ConstantOfShapeOp : OpSchema
{
    public override string OpType => "ConstantOfShape";
    protected override bool HasFolding => true;

    private static Tensor Value(OpContext c)
    {
        var v = c.Node.GetTensor("value");
        if (v is null) return Tensor.ScalarOf(DataType.Float, 0);
        if (v.ElementCount != 1) throw new ModelError($"'value' must hold exactly one element but has shape {ShapeText.Format(v.Shape)}");
        return v;
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var shape = c.RequireConst(0, "the output shape").ToLongs();
        if (c.Rank(0) != 1) throw new ModelError($"the shape input must be 1-D but has shape {ShapeText.Format(c.Shape(0))}");
        foreach (long d in shape)
            if (d < 0) throw new ModelError($"the shape [{Node.Describe(shape)}] has a negative dimension");
        c.SetOutput(0, Value(c).Type, Array.ConvertAll(shape, ShapeText.CheckedInt));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var v = Value(c);
        var y = c.Node.Output(0)!;
        int size = Folding.MovableElementSize(v.Type);
        var raw = new byte[y.Type.ByteSize(y.ElementCount)];
        if (raw.Length == 0) return new[] { new Tensor(y.Type, y.Shape!, raw) };
        Buffer.BlockCopy(v.Raw, 0, raw, 0, size);
        for (int filled = size; filled < raw.Length; filled *= 2) Buffer.BlockCopy(raw, 0, raw, filled, Math.Min(filled, raw.Length - filled));
        return new[] { new Tensor(y.Type, y.Shape!, raw) };
    }

    public override bool CanFold(OpContext c) => Value(c).Type.BitSize() >= 8;

    public override Kernel? CreateKernel(OpContext c)
    {
        var v = Value(c);
        if (v.Type.CSharpName() is null) return null;
        string value = LayoutArgs.ScalarLiteral(v.Type, v);
        return new CallKernel(c.Node, w => w.Line($"{w.Out(0)}.Fill({value});"), $"fill {value}");
    }
}
