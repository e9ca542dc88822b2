using System;
using System.Collections.Generic;
using ModelCompiler.Emit;
using ModelCompiler.Graph;
using static ModelCompiler.Ops.Elementwise.ElementwiseSupport;

namespace ModelCompiler.Ops.Elementwise;

/// <summary>
/// Pow (opset 7: one float type; 12+: the exponent may have any numeric type, the base may be int32/int64).
/// The output has the base's type. Integer ^ integer multiplies exactly (wrapping); anything involving a
/// floating-point value is computed in double and converted to the base's type.
/// </summary>
internal sealed class PowOps : IOpFamily
{
    public IEnumerable<OpSchema> Schemas => new[]
    {
        new BinaryOp("Pow", (a, b) => a.CSharpName() is { } ta && b.CSharpName() is { } tb ? $"Pow<{ta}, {tb}>" : null,
            Math.Pow, IntegerPower, Numeric, NumericText, secondTypes: Numeric, special: Square),
    };

    /// <summary>x ^ 2 with a constant exponent and floating-point x is x * x: the same correctly rounded result, without pow.</summary>
    private static Kernel? Square(OpContext c)
    {
        var t = c.Type(0);
        if (!t.IsFloat() || c.Const(1) is not { ElementCount: 1 } e || e.GetDouble(0) != 2) return null;
        if (!ShapeText.SameShape(c.Shape(0), c.Node.Output(0)!.Shape!)) return null;
        return new CallKernel(c.Node, w => w.Line($"{Runtime}Elementwise.Square{TypeArgs(t)}({w.In(0)}, {w.Out(0)});"), "exponent 2");
    }

    /// <summary>a^b in wrapping integer arithmetic; a negative exponent gives 1/a^|b| truncated (0 unless a is 1 or -1).</summary>
    public static long IntegerPower(long a, long b)
    {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long result = 1, square = a;
        ulong e = (ulong)b;
        while (e != 0)
        {
            if ((e & 1) != 0) result = unchecked(result * square);
            e >>= 1;
            if (e != 0) square = unchecked(square * square);
        }
        return result;
    }
}

/// <summary>
/// Mod (opset 10, 13): fmod = 0 takes the divisor's sign (Python's %, integers only); fmod = 1 takes the
/// dividend's sign (C's fmod), required for floating-point inputs.
/// </summary>
internal sealed class ModOp : OpSchema
{
    public override string OpType => "Mod";

    /// <summary>Element-wise (with broadcasting): a quantized group of it with a constant scalar operand is one table.</summary>
    public override OpTraits Traits => OpTraits.ElementWiseOp;

    protected override bool HasFolding => true;

    public override bool CanFold(OpContext c) => c.AllInputsConstant && Foldable(c.Type(0));

    private static bool IsFMod(OpContext c) => c.Int("fmod", 0) != 0;

    public override void Infer(OpContext c)
    {
        c.RequireInputs(2);
        c.RequireType(0, Numeric, NumericText);
        if (c.Type(0) != c.Type(1))
            throw new ModelError($"inputs have different types ({c.Type(0).OnnxName()} and {c.Type(1).OnnxName()})");
        long fmod = c.Int("fmod", 0);
        if (fmod is not (0 or 1)) throw new ModelError($"fmod must be 0 or 1, not {fmod}");
        if (c.Type(0).IsFloat() && fmod == 0) throw new ModelError("Mod on floating-point inputs needs fmod=1");
        c.SetOutput(0, c.Type(0), ShapeText.Broadcast(c.Shape(0), c.Shape(1)));
    }

    public override Tensor[] Fold(OpContext c)
    {
        var y = c.Node.Output(0)!;
        bool fmod = IsFMod(c);
        Func<long, long, long> g = fmod
            ? (a, b) => b == 0 ? throw ArithmeticOps.DivisionByZero() : b == -1 ? 0 : a % b
            : (a, b) =>
            {
                if (b == 0) throw ArithmeticOps.DivisionByZero();
                long r = b == -1 ? 0 : a % b;
                return r != 0 && (r < 0) != (b < 0) ? r + b : r;
            };
        Func<ulong, ulong, ulong> u = (a, b) => b == 0 ? throw ArithmeticOps.DivisionByZero() : a % b;
        return new[] { ElementwiseFolding.Binary(c.Const(0)!, c.Const(1)!, y.Type, y.Shape!, (a, b) => a % b, g, u) };
    }

    public override Kernel? CreateKernel(OpContext c)
    {
        var t = c.Type(0);
        if (NoRuntimeType(t) is not null) return null;
        string op = (IsFMod(c) ? "FMod<" : "Mod<") + t.CSharpName() + ">";
        var y = c.Node.Output(0)!;
        return new CallKernel(c.Node, w => w.Line(BinaryCall(op, t, t, t, w.In(0), w.InShape(0), w.In(1), w.InShape(1), w.Out(0), w.OutShape(0))),
            BroadcastSummary(c, y.Shape!));
    }

    public override string? WhyNoKernel(OpContext c) => NoRuntimeType(c.Type(0));
}
