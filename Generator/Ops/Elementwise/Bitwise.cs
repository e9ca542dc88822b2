using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>BitwiseAnd, BitwiseOr, BitwiseXor (opset 18): integers of one type, numpy broadcasting.</summary>
internal sealed class BitwiseOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new BinaryOp("BitwiseAnd", BinaryOp.Generic("BitwiseAnd"), null, (a, b) => a & b, Integer, IntegerText),
        new BinaryOp("BitwiseOr", BinaryOp.Generic("BitwiseOr"), null, (a, b) => a | b, Integer, IntegerText),
        new BinaryOp("BitwiseXor", BinaryOp.Generic("BitwiseXor"), null, (a, b) => a ^ b, Integer, IntegerText),
    };
}

/// <summary>
/// BitShift (opset 11): unsigned integers shifted LEFT or RIGHT (the 'direction' attribute) by the second input,
/// broadcast numpy-style. Shifting by the type's width or more gives 0, as numpy does.
/// </summary>
internal sealed class BitShiftOp : OpSchema
{
    public override string OpType => "BitShift";
    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && c.Type(0).BitSize() >= 8;

    private static bool Left(OpContext c) => c.Str("direction", "") switch
    {
        "LEFT" => true,
        "RIGHT" => false,
        var d => throw new ModelError($"BitShift's direction must be \"LEFT\" or \"RIGHT\", not \"{d}\""),
    };

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, Unsigned, UnsignedText);
        if (c.Type(0) != c.Type(1))
            throw new ModelError($"inputs have different types ({c.Type(0).OnnxName()} and {c.Type(1).OnnxName()})");
        Left(c);
        c.SetOutput(0, c.Type(0), ShapeText.Broadcast(c.Shape(0), c.Shape(1)));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var y = c.Node.Output(0)!;
        ulong bits = (ulong)c.Type(0).BitSize();
        bool left = Left(c);
        Func<ulong, ulong, ulong> u = (a, b) => b >= bits ? 0 : left ? a << (int)b : a >> (int)b;
        Func<long, long, long> g = (a, b) => unchecked((long)u((ulong)a, (ulong)b));
        return new[] { ElementwiseFolding.Binary(c.Const(0)!, c.Const(1)!, y.Type, y.Shape!, null, g, u) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(0);
        if (NoRuntimeType(t) is not null) return null;
        string op = $"{(Left(c) ? "ShiftLeft" : "ShiftRight")}<{t.CSharpName()}>";
        var y = c.Node.Output(0)!;
        return new CallKernel(c.Node, w => w.Line(BinaryCall(op, t, t, t, w.In(0), w.InShape(0), w.In(1), w.InShape(1), w.Out(0), w.OutShape(0))),
            BroadcastSummary(c, y.Shape!));
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));
}
