using System;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Cast (opset 6, 9, 13, 19, 21, 23-25) and CastLike (15, 19, 21...): convert to the type named by 'to'
/// (CastLike: the type of its second input). Between float32, float64, float16, bool and 8- to 64-bit
/// integers as C#'s unchecked casts do: floating-point to integer truncates toward zero (out of range:
/// saturation for 32/64-bit targets, int32 saturation then wrap for 8/16-bit targets, NaN to 0), integers
/// wrap, anything to bool is value != 0, bool is 0 or 1. int4/uint4 run one element per byte: casts to them keep
/// the low 4 bits (sign-extended for int4), as the ONNX reference does. Constants also fold to and from bfloat16.
/// String, complex and 8-bit float types are not supported ('saturate' only concerns those).
/// </summary>
internal abstract class CastBase : OpSchema
{
    protected abstract DataType Target(OpContext c);

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) =>
        c.Const(0) is not null && ElementwiseFolding.CanCast(c.Type(0)) && ElementwiseFolding.CanCast(Target(c));

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var to = Target(c);
        if (to == DataType.Undefined || !Enum.IsDefined(typeof(DataType), to))
            throw new ModelError($"cannot cast to unknown element type {(int)to}");
        c.SetOutput(0, to, c.Shape(0));
    }

    public override Tensor[] Fold(OpContext c) => new[] { ElementwiseFolding.Cast(c.Const(0)!, Target(c)) };

    public override Kernel? CreateKernel(OpContext c)
    {
        DataType from = c.Type(0), to = Target(c);
        if (Unsupported(from, to) is not null) return null;
        if (from == to) return new CopyKernel(c.Node);
        string summary = $"{from.OnnxName()} to {to.OnnxName()}";
        if (to is DataType.Int4 or DataType.UInt4)
        {
            // 4-bit targets wrap to their low 4 bits (sign-extended for int4); elements stay one per byte at run time.
            if (from == DataType.Bool) return null;
            string signed = to == DataType.Int4 ? "true" : "false";
            return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.SubByteCast.ToInt4<{from.CSharpName()}, {to.CSharpName()}>({w.In(0)}, {w.Out(0)}, signed: {signed});"), summary);
        }
        string call = to == DataType.Bool ? $"ToBool<{from.CSharpName()}>"
            : from == DataType.Bool ? $"FromBool<{to.CSharpName()}>"
            : $"Convert<{from.CSharpName()}, {to.CSharpName()}>";
        return new CallKernel(c.Node, w => w.Line($"{Runtime}Cast.{call}({w.In(0)}, {w.Out(0)});"), summary);
    }

    public override string? WhyNoKernel(OpContext c) => Unsupported(c.Type(0), Target(c));

    private static string? Unsupported(DataType from, DataType to) =>
        from == DataType.String || to == DataType.String
            ? ": casts to or from string tensors are not supported"
            : NoRuntimeType(from, to);
}

internal sealed class CastOp : CastBase
{
    public override string OpType => "Cast";

    protected override DataType Target(OpContext c) =>
        c.Node.HasAttribute("to") ? (DataType)c.Int("to", 0) : throw new ModelError("the 'to' attribute is missing");
}

internal sealed class CastLikeOp : CastBase
{
    public override string OpType => "CastLike";

    protected override DataType Target(OpContext c) =>
        c.Has(1) ? c.Type(1) : throw new ModelError("CastLike needs its second input (target_type)");
}
