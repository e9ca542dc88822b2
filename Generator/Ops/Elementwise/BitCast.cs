using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// ONNX BitCast (opset 26): the input's bytes read as the element type 'to', unchanged. Between types of the same
/// width only (the output keeps the input's shape); a change of width, which reshapes the last dimension, is not
/// supported. bool is one byte holding 0 or 1. A constant input folds by relabelling its bytes.
/// </summary>
internal sealed class BitCastOp : OpSchema
{
    public override string OpType => "BitCast";

    private static DataType Target(OpContext c) =>
        c.Node.HasAttribute("to") ? (DataType)c.Int("to", 0) : throw new ModelError("the 'to' attribute is missing");

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        DataType from = c.Type(0), to = Target(c);
        if (to == DataType.Undefined || !Enum.IsDefined(typeof(DataType), to) || to.BitSize() == 0)
            throw new ModelError($"cannot bit-cast to unknown element type {(int)to}");
        if (from == DataType.String || to == DataType.String) throw new ModelError("string tensors have no bits to reinterpret");
        if (from.BitSize() != to.BitSize())
            throw new ModelError($"bit-casting {from.OnnxName()} ({from.BitSize()} bits) to {to.OnnxName()} ({to.BitSize()} bits) changes the element width, which ModelCompiler does not support");
        c.SetOutput(0, to, c.Shape(0));
    }

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.Const(0) is not null && !c.Type(0).IsSubByte();

    public override Tensor[] Fold(OpContext c)
    {
        var x = c.Const(0)!;
        var raw = (byte[])x.Raw.Clone();
        if (Target(c) == DataType.Bool)
            for (int i = 0; i < raw.Length; i++) raw[i] = raw[i] != 0 ? (byte)1 : (byte)0;
        return new[] { new Tensor(Target(c), x.Shape, raw) };
    }

    public override string? WhyNoKernel(OpContext c) =>
        c.Type(0).IsSubByte() ? $": {c.Type(0).OnnxName()} elements are held one per byte at run time, not packed" :
        Target(c) == DataType.Bool && c.Type(0) != DataType.Bool ? ": to bool, whose bytes must be 0 or 1" : null;

    public override Kernel? CreateKernel(OpContext c)
    {
        if (WhyNoKernel(c) is not null) return null;
        const string Marshal = "global::System.Runtime.InteropServices.MemoryMarshal";
        return new CallKernel(c.Node, w => w.Line($"{Marshal}.AsBytes({w.In(0)}).CopyTo({Marshal}.AsBytes({w.Out(0)}));"),
            $"{c.Type(0).OnnxName()} bits as {Target(c).OnnxName()}");
    }
}
