using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Tests.Elementwise;

/// <summary>The cases <see cref="ElementwiseOrtTests"/> runs: deterministic pseudo-random data per case.</summary>
public static class ElementwiseCases
{
    private const DataType F = DataType.Float, D = DataType.Double, H = DataType.Float16, B = DataType.Bool;
    private const DataType I8 = DataType.Int8, U8 = DataType.UInt8, I16 = DataType.Int16, U16 = DataType.UInt16;
    private const DataType I32 = DataType.Int32, U32 = DataType.UInt32, I64 = DataType.Int64, U64 = DataType.UInt64;

    private static readonly DataType[] Floats = { F, D, H };
    private static readonly DataType[] Integers = { I8, U8, I16, U16, I32, U32, I64, U64 };
    private static readonly DataType[] Numbers = Floats.Concat(Integers).ToArray();

    public static readonly IReadOnlyList<OrtCase> All = Build();

    private static List<OrtCase> Build()
    {
        var list = new List<OrtCase>();
        Cast(list);
        Arithmetic(list);
        PowAndMod(list);
        Comparisons(list);
        Logic(list);
        Variadic(list);
        ClipAndPRelu(list);
        Unary(list);
        var duplicate = list.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException("duplicate case " + duplicate.Key);
        return list;
    }

    // ---- Cast -------------------------------------------------------------------------------------

    private static void Cast(List<OrtCase> list)
    {
        var all = Numbers.Append(B).ToArray();
        foreach (var from in all)
            foreach (var to in all)
            {
                if (from == to) continue;
                var x = CastInput(from, to);
                list.Add(new OrtCase($"Cast_{Short(from)}_to_{Short(to)}", "Cast", 13, new[] { x }, new[] { (int)to }, Attrs(("to", (long)to))));
            }
        list.Add(new OrtCase("CastLike_f32_to_i64", "CastLike", 15,
            new[] { Range("x", F, new[] { 4, 5 }, 1, -1000, 1000), Range("like", I64, new[] { 1 }, 2, 0, 1) }, new[] { (int)I64 }));
    }

    /// <summary>Values whose conversion is defined (in range after truncation), with the edge values of each pair.</summary>
    private static TensorData CastInput(DataType from, DataType to)
    {
        int[] shape = { 5, 8 };
        int seed = (int)from * 31 + (int)to;
        if (from == B) return Bools("x", shape, seed);
        if (from.IsFloat())
        {
            if (to == B) return Range("x", from, shape, seed, -3, 3, fractional: true, 0, -0.0, double.NaN, double.PositiveInfinity, 1e-30);
            if (to.IsFloat())
            {
                double limit = from == H || to == H ? 60000 : 1e6;
                return Range("x", from, shape, seed, -limit, limit, true, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e-8, 0.1, 65519, 65520);
            }
            double lo = to switch { I8 => -128.9, I16 => -32768.9, I32 => -2e9, I64 => -9e15, _ => -0.9 };
            double hi = to switch { I8 => 127.9, U8 => 255.9, I16 => 32767.9, U16 => 65535.9, I32 => 2e9, U32 => 4e9, I64 => 9e15, _ => 1.8e19 };
            if (from == H) { lo = Math.Max(lo + 1, -30000); hi = Math.Min(hi - 1, 30000); } // float16 rounding must not leave the range
            // Out-of-range values are implementation-defined (C# saturates where onnxruntime's x86 code wraps), so none here.
            return Range("x", from, shape, seed, lo, hi, true, -0.5, 0.5, -0.9, 1.5, 2.5, lo <= -2.5 ? -2.5 : 3.5);
        }
        return Bits("x", from, shape, seed);
    }

    // ---- Add, Sub, Mul, Div ----------------------------------------------------------------------

    private static void Arithmetic(List<OrtCase> list)
    {
        int[] a = { 2, 3, 4 }, b = { 3, 1 };
        foreach (var t in Numbers)
        {
            foreach (var op in new[] { "Add", "Sub", "Mul" })
            {
                var x = t.IsFloat() ? Range("a", t, a, 1, -10, 10) : Bits("a", t, a, 1);
                var y = t.IsFloat() ? Range("b", t, b, 2, -10, 10) : Bits("b", t, b, 2);
                list.Add(new OrtCase($"{op}_{Short(t)}", op, 14, new[] { x, y }, new[] { (int)t }));
            }
            var dividend = t.IsFloat() ? Range("a", t, a, 3, -100, 100) : Range("a", t, a, 3, t.IsSigned() ? -100 : 0, 120, fractional: false);
            var divisor = t.IsFloat() ? Range("b", t, b, 4, -10, 10, true, 0) : Range("b", t, b, 4, 1, 9, fractional: false, t.IsSigned() ? -7 : 7);
            list.Add(new OrtCase($"Div_{Short(t)}", "Div", 14, new[] { dividend, divisor }, new[] { (int)t }));
        }
        list.Add(new OrtCase("Add_f32_scalar", "Add", 14, new[] { Range("a", F, new[] { 3, 5 }, 5, -1, 1), Range("b", F, Array.Empty<int>(), 6, -1, 1) }, new[] { (int)F }));
        list.Add(new OrtCase("Mul_f32_outer", "Mul", 14, new[] { Range("a", F, new[] { 4, 1 }, 7, -1, 1), Range("b", F, new[] { 1, 6 }, 8, -1, 1) }, new[] { (int)F }));
    }

    // ---- Pow, Mod --------------------------------------------------------------------------------

    private static void PowAndMod(List<OrtCase> list)
    {
        int[] s = { 3, 4 };
        void Pow(string name, TensorData x, TensorData y) => list.Add(new OrtCase("Pow_" + name, "Pow", 15, new[] { x, y }, new[] { x.ElementType }));
        Pow("f32_f32", Range("x", F, s, 1, 0.1, 10), Range("y", F, s, 2, -3, 3));
        Pow("f32_i32", Range("x", F, s, 3, -5, 5), Range("y", I32, s, 4, -4, 4, fractional: false));
        Pow("f32_i64", Range("x", F, s, 5, -5, 5), Range("y", I64, s, 6, -4, 4, fractional: false));
        Pow("f32_u8", Range("x", F, s, 5, -5, 5), Range("y", U8, s, 6, 0, 5, fractional: false));
        Pow("f64_f64", Range("x", D, s, 7, 0.1, 10), Range("y", D, s, 8, -3, 3));
        Pow("f64_f32", Range("x", D, s, 7, 0.1, 10), Range("y", F, s, 8, -3, 3));
        Pow("f16_f16", Range("x", H, s, 9, 0.5, 4), Range("y", H, s, 10, -2, 2));
        Pow("i32_i32", Range("x", I32, s, 11, -10, 10, fractional: false), Range("y", I32, s, 12, 0, 6, fractional: false));
        Pow("i64_i64", Range("x", I64, s, 13, -100, 100, fractional: false), Range("y", I64, s, 14, 0, 9, fractional: false));
        Pow("i32_f32", Range("x", I32, s, 15, 1, 10, fractional: false), Range("y", F, s, 16, 0, 3, true, 0.5, 2));
        Pow("i64_f64", Range("x", I64, s, 17, 1, 10, fractional: false), Range("y", D, s, 18, 0, 3, true, 0.5, 2));
        Pow("f32_scalar2", Range("x", F, s, 19, -5, 5), Range("y", F, Array.Empty<int>(), 20, 2, 2, true, 2));
        Pow("f32_bcast", Range("x", F, new[] { 2, 3, 4 }, 21, 0, 5), Range("y", F, new[] { 4 }, 22, -2, 2));

        foreach (var t in new[] { I8, I16, I32, I64, U8, U16, U32, U64 })
        {
            bool signed = t.IsSigned();
            var x = Range("x", t, new[] { 3, 8 }, 30 + (int)t, signed ? -50 : 0, 50, fractional: false, signed ? -7 : 7, 0, 14);
            var y = Range("y", t, new[] { 8 }, 40 + (int)t, 1, 9, fractional: false, signed ? -3 : 3, signed ? -7 : 7);
            list.Add(new OrtCase($"Mod_{Short(t)}", "Mod", 13, new[] { x, y }, new[] { (int)t }));
            list.Add(new OrtCase($"Mod_fmod_{Short(t)}", "Mod", 13, new[] { x, y }, new[] { (int)t }, Attrs(("fmod", 1L))));
        }
        foreach (var t in Floats)
        {
            var x = Range("x", t, new[] { 3, 8 }, 50 + (int)t, -50, 50);
            var y = Range("y", t, new[] { 8 }, 60 + (int)t, -5, 5, true, 0.5, -1.5);
            list.Add(new OrtCase($"Mod_fmod_{Short(t)}", "Mod", 13, new[] { x, y }, new[] { (int)t }, Attrs(("fmod", 1L))));
        }
    }

    // ---- comparisons -----------------------------------------------------------------------------

    private static void Comparisons(List<OrtCase> list)
    {
        int[] a = { 2, 3, 4 }, b = { 4 };
        foreach (var t in Numbers)
        {
            TensorData x, y;
            if (t.IsFloat())
            {
                x = Range("a", t, a, 1, -3, 3, false, double.NaN, 1, double.PositiveInfinity, -0.0);
                y = Range("b", t, b, 2, -3, 3, false, 1, double.NaN, 0, double.PositiveInfinity);
            }
            else if (t == U64 || t == I64)
            {
                x = Bits("a", t, a, 3, 0, 1, -1, long.MinValue, long.MaxValue, 5, 5, 5);
                y = Bits("b", t, b, 4, 5, 1, -1, long.MinValue);
            }
            else
            {
                x = Range("a", t, a, 5, t.IsSigned() ? -3 : 0, 3, fractional: false);
                y = Range("b", t, b, 6, t.IsSigned() ? -3 : 0, 3, fractional: false);
            }
            foreach (var op in new[] { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual" })
                list.Add(new OrtCase($"{op}_{Short(t)}", op, 16, new[] { x, y }, new[] { (int)B }));
        }
        list.Add(new OrtCase("Equal_bool", "Equal", 13, new[] { Bools("a", a, 7), Bools("b", b, 8) }, new[] { (int)B }));
    }

    // ---- logic, Where ----------------------------------------------------------------------------

    private static void Logic(List<OrtCase> list)
    {
        foreach (var op in new[] { "And", "Or", "Xor" })
            list.Add(new OrtCase(op, op, 7, new[] { Bools("a", new[] { 2, 1, 4 }, 1), Bools("b", new[] { 3, 1 }, 2) }, new[] { (int)B }));
        list.Add(new OrtCase("Not", "Not", 7, new[] { Bools("x", new[] { 3, 5 }, 3) }, new[] { (int)B }));

        foreach (var t in Numbers.Append(B))
        {
            var x = t == B ? Bools("x", new[] { 3, 1 }, 4) : Range("x", t, new[] { 3, 1 }, 4, t.IsSigned() ? -50 : 0, 50);
            var y = t == B ? Bools("y", new[] { 1, 3, 1 }, 5) : Range("y", t, new[] { 1, 3, 1 }, 5, t.IsSigned() ? -50 : 0, 50);
            list.Add(new OrtCase($"Where_{Short(t)}", "Where", 16, new[] { Bools("c", new[] { 2, 1, 4 }, 6), x, y }, new[] { (int)t }));
        }
        list.Add(new OrtCase("Where_scalar_condition", "Where", 16,
            new[] { Bools("c", Array.Empty<int>(), 7), Range("x", F, new[] { 2, 3 }, 8, -1, 1), Range("y", F, new[] { 3 }, 9, -1, 1) }, new[] { (int)F }));
        list.Add(new OrtCase("Where_same_shape", "Where", 9,
            new[] { Bools("c", new[] { 4, 5 }, 10), Range("x", I64, new[] { 4, 5 }, 11, -9, 9), Range("y", I64, new[] { 4, 5 }, 12, -9, 9) }, new[] { (int)I64 }));
        list.Add(new OrtCase("Where_inner_broadcast", "Where", 16,
            new[] { Bools("c", new[] { 3, 4 }, 13), Range("x", F, new[] { 3, 1 }, 14, -1, 1), Range("y", F, new[] { 1, 4 }, 15, -1, 1) }, new[] { (int)F }));
    }

    // ---- Min, Max, Sum, Mean ---------------------------------------------------------------------

    private static void Variadic(List<OrtCase> list)
    {
        foreach (var op in new[] { "Max", "Min" })
        {
            foreach (var t in Numbers)
            {
                bool nan = t.IsFloat();
                var inputs = new[]
                {
                    Range("a", t, new[] { 3, 1 }, 1, t.IsSigned() ? -50 : 0, 50, true, nan ? double.NaN : 7),
                    Range("b", t, new[] { 2, 1, 4 }, 2, t.IsSigned() ? -50 : 0, 50, true, 3, nan ? double.NaN : 9),
                    Range("c", t, new[] { 4 }, 3, t.IsSigned() ? -50 : 0, 50),
                };
                list.Add(new OrtCase($"{op}_{Short(t)}", op, 13, inputs, new[] { (int)t }));
            }
            list.Add(new OrtCase($"{op}_one_input", op, 13, new[] { Range("a", F, new[] { 3, 4 }, 4, -5, 5) }, new[] { (int)F }));
        }
        foreach (var op in new[] { "Sum", "Mean" })
        {
            foreach (var t in Floats)
            {
                // float16 sums round after every input, as the ONNX reference does (onnxruntime adds in float),
                // so float16 gets two inputs: one rounding for Sum, two for Mean, within tolerance either way.
                var inputs = new[]
                {
                    Range("a", t, new[] { 3, 1 }, 5, -5, 5),
                    Range("b", t, new[] { 2, 1, 4 }, 6, -5, 5),
                    Range("c", t, new[] { 4 }, 7, -5, 5),
                    Range("d", t, new[] { 2, 3, 4 }, 8, -5, 5),
                };
                list.Add(new OrtCase($"{op}_{Short(t)}", op, 13, t == H ? inputs.Take(2).ToArray() : inputs, new[] { (int)t }));
            }
            list.Add(new OrtCase($"{op}_one_input", op, 13, new[] { Range("a", F, new[] { 3, 4 }, 9, -5, 5) }, new[] { (int)F }));
            list.Add(new OrtCase($"{op}_two_same_shape", op, 8, new[] { Range("a", F, new[] { 3, 4 }, 10, -5, 5), Range("b", F, new[] { 3, 4 }, 11, -5, 5) }, new[] { (int)F }));
        }
    }

    // ---- Clip, PRelu -----------------------------------------------------------------------------

    private static void ClipAndPRelu(List<OrtCase> list)
    {
        int[] s = { 4, 6 };
        var x = Range("x", F, s, 1, -3, 3, true, double.NaN, double.PositiveInfinity, double.NegativeInfinity);
        list.Add(new OrtCase("Clip6_min_max", "Clip", 7, new[] { x }, new[] { (int)F }, Attrs(("min", -1f), ("max", 1.5f))));
        list.Add(new OrtCase("Clip6_max_only", "Clip", 7, new[] { x }, new[] { (int)F }, Attrs(("max", 0.5f))));
        list.Add(new OrtCase("Clip6_defaults", "Clip", 7, new[] { x }, new[] { (int)F }));
        list.Add(new OrtCase("Clip11_min_max", "Clip", 11, new[] { x, Scalar("min", F, -1), Scalar("max", F, 2) }, new[] { (int)F }));
        list.Add(new OrtCase("Clip11_min_only", "Clip", 11, new[] { x, Scalar("min", F, 0) }, new[] { (int)F }));
        list.Add(new OrtCase("Clip11_max_only", "Clip", 11, new[] { x, Omitted(F), Scalar("max", F, 6) }, new[] { (int)F }));
        list.Add(new OrtCase("Clip11_none", "Clip", 11, new[] { x }, new[] { (int)F }));
        list.Add(new OrtCase("Clip13_min_above_max", "Clip", 13, new[] { x, Scalar("min", F, 2), Scalar("max", F, 1) }, new[] { (int)F }));
        foreach (var t in Numbers)
        {
            if (t == F) continue;
            var xt = t.IsFloat() ? Range("x", t, s, 2, -10, 10, true, double.NaN) : Bits("x", t, s, 3);
            double lo = t.IsSigned() ? -5 : 3, hi = t.IsSigned() ? 7 : 200;
            list.Add(new OrtCase($"Clip13_{Short(t)}", "Clip", 13, new[] { xt, Scalar("min", t, lo), Scalar("max", t, hi) }, new[] { (int)t }));
            list.Add(new OrtCase($"Clip13_{Short(t)}_max_only", "Clip", 13, new[] { xt, Omitted(t), Scalar("max", t, hi) }, new[] { (int)t }));
        }

        var nchw = Range("x", F, new[] { 2, 3, 4, 5 }, 4, -3, 3);
        list.Add(new OrtCase("PRelu_per_channel", "PRelu", 16, new[] { nchw, Range("slope", F, new[] { 3, 1, 1 }, 5, 0, 1) }, new[] { (int)F }));
        list.Add(new OrtCase("PRelu_last_axis", "PRelu", 16, new[] { nchw, Range("slope", F, new[] { 5 }, 6, 0, 1) }, new[] { (int)F }));
        list.Add(new OrtCase("PRelu_scalar", "PRelu", 9, new[] { nchw, Range("slope", F, new[] { 1 }, 7, 0, 1) }, new[] { (int)F }));
        list.Add(new OrtCase("PRelu_f64", "PRelu", 16, new[] { Range("x", D, new[] { 3, 4 }, 8, -3, 3), Range("slope", D, new[] { 3, 4 }, 9, 0, 1) }, new[] { (int)D }));
        list.Add(new OrtCase("PRelu_i32", "PRelu", 16, new[] { Range("x", I32, new[] { 3, 4 }, 10, -30, 30, false), Range("slope", I32, new[] { 4 }, 11, -3, 3, false) }, new[] { (int)I32 }));
    }

    // ---- unary -----------------------------------------------------------------------------------

    private static void Unary(List<OrtCase> list)
    {
        int[] s = { 5, 8 };
        void U(string op, int opset, TensorData x, params (string, object)[] attrs) =>
            list.Add(new OrtCase($"{op}_{Short(x.Type)}{(attrs.Length > 0 ? "_attrs" : "")}", op, opset, new[] { x }, new[] { x.ElementType }, Attrs(attrs)));

        foreach (var t in new[] { I8, I16, I32, I64 })
        {
            U("Abs", 13, Bits("x", t, s, 1, long.MinValue, -1, 0, 1));
            U("Neg", 13, Bits("x", t, s, 2, long.MinValue, -1, 0, 1));
            U("Sign", 13, Bits("x", t, s, 3, long.MinValue, -1, 0, 1));
            U("Relu", 14, Bits("x", t, s, 4, long.MinValue, -1, 0, 1));
        }
        foreach (var t in new[] { U8, U16, U32, U64 })
        {
            U("Abs", 13, Bits("x", t, s, 5, -1, 0, 1));
            U("Sign", 13, Bits("x", t, s, 6, -1, 0, 1));
        }
        foreach (var t in Floats)
        {
            U("Abs", 13, Range("x", t, s, 7, -10, 10, true, -0.0, double.NaN, double.NegativeInfinity));
            U("Neg", 13, Range("x", t, s, 8, -10, 10, true, 0, double.NaN, double.NegativeInfinity));
            // onnxruntime's float16 Sign maps NaN to 0 (its float Sign and numpy keep NaN), so no NaN for float16.
            U("Sign", 13, Range("x", t, s, 9, -10, 10, true, 0, -0.0, t == H ? 1 : double.NaN, double.NegativeInfinity, 1e-7));
            U("Relu", 14, Range("x", t, s, 10, -10, 10, true, 0, double.NaN));
            U("Round", 11, Range("x", t, s, 11, -10, 10, true, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.0, 0.49999997, double.NaN));
            U("Floor", 13, Range("x", t, s, 12, -10, 10, true, -0.5, -0.0, double.NaN, double.NegativeInfinity));
            U("Ceil", 13, Range("x", t, s, 13, -10, 10, true, -0.5, -0.0, double.NaN, double.PositiveInfinity));
            U("Exp", 13, Range("x", t, s, 14, t == H ? -10 : -80, t == H ? 10 : 80, true, 0, double.NegativeInfinity, double.NaN));
            U("Log", 13, Range("x", t, s, 15, 0.001, 1000, true, 0, -1, 1, double.PositiveInfinity));
            U("Sqrt", 13, Range("x", t, s, 16, 0, 100, true, 0, -1, 2, double.PositiveInfinity));
            U("Reciprocal", 13, Range("x", t, s, 17, -10, 10, true, 0, -0.0, 3));
            U("Tanh", 13, Range("x", t, s, 18, -10, 10, true, 0, 1e-4, -20));
            U("Sigmoid", 13, Range("x", t, s, 19, -50, 50, true, 0, -1e4, 1e4));
            U("Erf", 13, Range("x", t, s, 20, -5, 5, true, 0, 1e-6, -1e-3, 0.49, 0.51, 3.9, -7, double.NaN));
            U("Softplus", 22, Range("x", t, s, 21, t == H ? -10 : -100, t == H ? 10 : 100, true, 0, -20, 20, 1e-3));
            U("LeakyRelu", 16, Range("x", t, s, 22, -10, 10), ("alpha", 0.2f));
            U("Elu", 22, Range("x", t, s, 23, -10, 10, true, -1e-4), ("alpha", 0.5f));
            U("Selu", 22, Range("x", t, s, 24, -10, 10));
            U("HardSigmoid", 22, Range("x", t, s, 25, -10, 10, true, double.NaN), ("alpha", 0.3f), ("beta", 0.4f));
            U("HardSwish", 22, Range("x", t, s, 26, -10, 10, true, -3, 3, double.NaN));
        }
        foreach (var t in Floats)
        {
            U("Softsign", 22, Range("x", t, s, 31, -10, 10, true, 0, double.PositiveInfinity));
            U("ThresholdedRelu", 22, Range("x", t, s, 32, -3, 3, true, 0.5, 0.75), ("alpha", 0.5f));
            U("Mish", 22, Range("x", t, s, 33, t == H ? -10 : -50, t == H ? 10 : 50, true, 0, -20, 1e-3));
            U("Sin", 22, Range("x", t, s, 34, -10, 10));
            U("Cos", 22, Range("x", t, s, 35, -10, 10));
            U("Tan", 22, Range("x", t, s, 36, -1.5, 1.5));
            U("Asin", 22, Range("x", t, s, 37, -1, 1, true, 2));
            U("Acos", 22, Range("x", t, s, 38, -1, 1, true, 2));
            U("Atan", 22, Range("x", t, s, 39, -10, 10));
            U("Sinh", 22, Range("x", t, s, 40, -5, 5));
            U("Cosh", 22, Range("x", t, s, 41, -5, 5));
            U("Asinh", 22, Range("x", t, s, 42, -10, 10, true, 0, 1e-4));
            U("Acosh", 22, Range("x", t, s, 43, 1, 10, true, 1, 0.5));
            U("Atanh", 22, Range("x", t, s, 44, -0.99, 0.99, true, 0, 1e-4));
            list.Add(new OrtCase($"IsNaN_{Short(t)}", "IsNaN", 20, new[] { Range("x", t, s, 45, -1, 1, true, double.NaN, double.PositiveInfinity, 0) }, new[] { (int)B }));
            var inf = Range("x", t, s, 46, -1, 1, true, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0);
            list.Add(new OrtCase($"IsInf_{Short(t)}", "IsInf", 20, new[] { inf }, new[] { (int)B }));
            list.Add(new OrtCase($"IsInf_{Short(t)}_negative_only", "IsInf", 20, new[] { inf }, new[] { (int)B }, Attrs(("detect_positive", 0L))));
        }
        U("Celu", 12, Range("x", F, s, 47, -10, 10), ("alpha", 2f));
        U("Swish", 24, Range("x", F, s, 48, -10, 10), ("alpha", 1.5f));
        U("Gelu", 20, Range("x", F, s, 49, -6, 6));
        list.Add(new OrtCase("Gelu_tanh_f32", "Gelu", 20, new[] { Range("x", F, s, 50, -6, 6) }, new[] { (int)F }, new Dictionary<string, object> { ["approximate"] = "tanh" }));
        foreach (var t in new[] { F, I32, I8, U8 })
            U("Shrink", 9, Range("x", t, s, 51, t.IsSigned() ? -10 : 0, 10, true, 0.5, -0.5, 1, -1), ("lambd", 1f), ("bias", 0.5f));
        foreach (var t in Integers)
        {
            foreach (var op in new[] { "BitwiseAnd", "BitwiseOr", "BitwiseXor" })
                list.Add(new OrtCase($"{op}_{Short(t)}", op, 18, new[] { Bits("a", t, new[] { 2, 3, 4 }, 52), Bits("b", t, new[] { 3, 1 }, 53) }, new[] { (int)t }));
            U("BitwiseNot", 18, Bits("x", t, s, 54, 0, -1));
            if (!t.IsSigned())
                foreach (var dir in new[] { "LEFT", "RIGHT" })
                    list.Add(new OrtCase($"BitShift_{dir}_{Short(t)}", "BitShift", 11,
                        new[] { Bits("a", t, new[] { 3, 4 }, 55), Range("b", t, new[] { 4 }, 56, 0, t.BitSize() - 1, false) }, new[] { (int)t },
                        new Dictionary<string, object> { ["direction"] = dir }));
        }
        U("LeakyRelu", 16, Range("x", F, s, 27, -10, 10));
        U("Elu", 22, Range("x", F, s, 28, -10, 10));
        U("Selu", 22, Range("x", F, s, 29, -10, 10), ("alpha", 1.5f), ("gamma", 2f));
        U("HardSigmoid", 22, Range("x", F, s, 30, -10, 10));
    }

    // ---- data ------------------------------------------------------------------------------------

    private static Dictionary<string, object> Attrs(params (string Key, object Value)[] attrs) =>
        attrs.ToDictionary(a => a.Key, a => a.Value);

    private static TensorData Omitted(DataType t) => new("", (int)t, Array.Empty<int>(), Make(t, Array.Empty<double>()));

    private static TensorData Scalar(string name, DataType t, double v) => new(name, (int)t, Array.Empty<int>(), Make(t, new[] { v }));

    /// <summary>Uniform values in [lo, hi] (whole numbers unless <paramref name="fractional"/>), the specials first.</summary>
    private static TensorData Range(string name, DataType t, int[] shape, int seed, double lo, double hi, bool fractional = true, params double[] specials)
    {
        var r = new Random(seed);
        int n = shape.Aggregate(1, (a, d) => a * d);
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            double d = lo + (hi - lo) * r.NextDouble();
            v[i] = i < specials.Length ? specials[i] : fractional && !t.IsInteger() ? d : Math.Floor(d);
        }
        return new TensorData(name, (int)t, shape, Make(t, v));
    }

    /// <summary>Random bit patterns of an integer type (every value equally likely), the specials first (wrapped to the width).</summary>
    private static TensorData Bits(string name, DataType t, int[] shape, int seed, params long[] specials)
    {
        var r = new Random(seed);
        int n = shape.Aggregate(1, (a, d) => a * d);
        var v = new long[n];
        for (int i = 0; i < n; i++) v[i] = i < specials.Length ? Narrow(t, specials[i]) : r.NextInt64(long.MinValue, long.MaxValue);
        Array data = t switch
        {
            I8 => v.Select(x => unchecked((sbyte)x)).ToArray(),
            U8 => v.Select(x => unchecked((byte)x)).ToArray(),
            I16 => v.Select(x => unchecked((short)x)).ToArray(),
            U16 => v.Select(x => unchecked((ushort)x)).ToArray(),
            I32 => v.Select(x => unchecked((int)x)).ToArray(),
            U32 => v.Select(x => unchecked((uint)x)).ToArray(),
            I64 => v,
            U64 => v.Select(x => unchecked((ulong)x)).ToArray(),
            _ => throw new NotSupportedException(t.ToString()),
        };
        return new TensorData(name, (int)t, shape, data);
    }

    /// <summary>long.MinValue and long.MaxValue stand for the type's own limits.</summary>
    private static long Narrow(DataType t, long v)
    {
        if (v != long.MinValue && v != long.MaxValue) return v;
        bool max = v == long.MaxValue;
        return t switch
        {
            I8 => max ? sbyte.MaxValue : sbyte.MinValue,
            I16 => max ? short.MaxValue : short.MinValue,
            I32 => max ? int.MaxValue : int.MinValue,
            U8 => max ? byte.MaxValue : 0,
            U16 => max ? ushort.MaxValue : 0,
            U32 => max ? uint.MaxValue : 0,
            U64 => max ? -1 : 0,
            _ => v,
        };
    }

    private static TensorData Bools(string name, int[] shape, int seed)
    {
        var r = new Random(seed);
        int n = shape.Aggregate(1, (a, d) => a * d);
        return new TensorData(name, (int)B, shape, Enumerable.Range(0, n).Select(_ => r.Next(2) == 1).ToArray());
    }

    private static Array Make(DataType t, double[] v) => t switch
    {
        F => v.Select(x => (float)x).ToArray(),
        D => v.ToArray(),
        H => v.Select(x => (Half)x).ToArray(),
        I8 => v.Select(x => (sbyte)x).ToArray(),
        U8 => v.Select(x => (byte)x).ToArray(),
        I16 => v.Select(x => (short)x).ToArray(),
        U16 => v.Select(x => (ushort)x).ToArray(),
        I32 => v.Select(x => (int)x).ToArray(),
        U32 => v.Select(x => (uint)x).ToArray(),
        I64 => v.Select(x => (long)x).ToArray(),
        U64 => v.Select(x => (ulong)x).ToArray(),
        B => v.Select(x => x != 0).ToArray(),
        _ => throw new NotSupportedException(t.ToString()),
    };

    private static string Short(DataType t) => t switch
    {
        F => "f32", D => "f64", H => "f16", B => "bool",
        I8 => "i8", U8 => "u8", I16 => "i16", U16 => "u16", I32 => "i32", U32 => "u32", I64 => "i64", U64 => "u64",
        _ => t.ToString(),
    };
}
