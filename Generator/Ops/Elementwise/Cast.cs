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
/// wrap, anything to bool is value != 0, bool is 0 or 1. int4/uint4 and int2/uint2 run one element per byte: casts
/// to them keep the low 4 (2) bits, sign-extended for int4 (int2), as the ONNX reference does. bfloat16, float8 (e4m3fn, e4m3fnuz,
/// e5m2, e5m2fnuz, e8m0) and float4e2m1 run as raw bits (MiniFloatCast; 'saturate' and 'round_mode' concern
/// those); constants also fold to and from bfloat16. String and complex types are not supported.
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
        if (from.IsRawBitsFloat() || to.IsRawBitsFloat()) return MiniFloatKernel(c, from, to, summary);
        if (to is DataType.Int4 or DataType.UInt4 or DataType.Int2 or DataType.UInt2)
        {
            // 4-bit and 2-bit targets wrap to their low bits (sign-extended for int4/int2); elements stay one per byte at run time.
            if (from == DataType.Bool) return null;
            string signed = to is DataType.Int4 or DataType.Int2 ? "true" : "false";
            string method = to.BitSize() == 4 ? "ToInt4" : "ToInt2";
            return new CallKernel(c.Node, w => w.Line($"global::ModelCompiler.Runtime.SubByteCast.{method}<{from.CSharpName()}, {to.CSharpName()}>({w.In(0)}, {w.Out(0)}, signed: {signed});"), summary);
        }
        string call = to == DataType.Bool ? $"ToBool<{from.CSharpName()}>"
            : from == DataType.Bool ? $"FromBool<{to.CSharpName()}>"
            : $"Convert<{from.CSharpName()}, {to.CSharpName()}>";
        return new CallKernel(c.Node, w => w.Line($"{Runtime}Cast.{call}({w.In(0)}, {w.Out(0)});"), summary);
    }

    public override string? WhyNoKernel(OpContext c) =>
        Unsupported(c.Type(0), Target(c)) ?? (BoolWithRawBits(c.Type(0), Target(c)) ? ": casts between bool and bfloat16, float8 or float4 are not supported" : null);

    private static bool BoolWithRawBits(DataType from, DataType to) =>
        (from == DataType.Bool || to == DataType.Bool) && (from.IsRawBitsFloat() || to.IsRawBitsFloat());

    /// <summary>
    /// Casts whose source or target is held as raw bits (bfloat16, float8, float4e2m1): MiniFloatCast, with Cast-19's
    /// 'saturate' (default 1) and Cast-25's 'round_mode' (float8e8m0 targets, default "up").
    /// </summary>
    private Kernel? MiniFloatKernel(OpContext c, DataType from, DataType to, string summary)
    {
        if (BoolWithRawBits(from, to)) return null;
        bool saturate = c.Int("saturate", 1) != 0;
        string mode = c.Str("round_mode", "up");
        string rounding = mode switch
        {
            "up" => "Up",
            "down" => "Down",
            "nearest" => "Nearest",
            _ => throw new ModelError($"round_mode is \"{mode}\"; Cast knows \"up\", \"down\" and \"nearest\""),
        };
        string options = $"saturate: {(saturate ? "true" : "false")}, rounding: global::ModelCompiler.Runtime.E8M0Rounding.{rounding}";
        string call = from.IsRawBitsFloat() && to.IsRawBitsFloat()
            ? $"Convert<{from.CSharpName()}, {to.CSharpName()}>({{0}}, {{1}}, {from.MiniFloatFormatText()}, {to.MiniFloatFormatText()}, {options})"
            : from.IsRawBitsFloat()
                ? $"ToNumber<{from.CSharpName()}, {to.CSharpName()}>({{0}}, {{1}}, {from.MiniFloatFormatText()})"
                : $"FromNumber<{from.CSharpName()}, {to.CSharpName()}>({{0}}, {{1}}, {to.MiniFloatFormatText()}, {options})";
        if (to.IsRawBitsFloat() && to != DataType.BFloat16) summary += saturate ? ", saturating" : ", not saturating";
        return new CallKernel(c.Node, w => w.Line($"{Runtime}MiniFloatCast." + string.Format(System.Globalization.CultureInfo.InvariantCulture, call, w.In(0), w.Out(0)) + ";"), summary);
    }

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
