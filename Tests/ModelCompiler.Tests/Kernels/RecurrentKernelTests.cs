using System;
using System.Globalization;
using System.Linq;
using ModelCompiler.Runtime;
using Xunit;
using static ModelCompiler.Tests.Kernels.KernelTestData;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// The recurrent kernel (<see cref="RecurrentKernel"/>: packed gate matrix-vector products and vectorized gate math)
/// against <see cref="RecurrentReference"/>, the LSTM/GRU/RNN equations of the ONNX spec in double precision, at
/// every vector width this machine has (AVX-512, AVX, 128-bit, scalar). Each case varies what the kernel treats
/// specially: hidden sizes that are and are not whole vectors (gates padded to 16), directions, layouts, initial
/// states, sequence lengths (including 0), batches of 1 to 5 rows (the input projection works on 4 rows at a time),
/// gate matrices of 48 to 336 columns (the register tiles of 1 to 16 vectors), peepholes, clip, linear_before_reset, input_forget and every
/// activation function. Tolerance 1e-5 + 1e-4 relative.
/// </summary>
public sealed class RecurrentKernelTests
{
    public static TheoryData<string> Cases() => new()
    {
        "cell=LSTM seq=3 batch=1 input=2 hidden=3 dir=forward",
        "cell=LSTM seq=5 batch=3 input=7 hidden=20 dir=bidirectional bias h0 c0 peep lens=5,2,0",
        "cell=LSTM seq=4 batch=2 input=3 hidden=16 dir=reverse layout=1 bias h0 clip=0.5 forget lens=3,4",
        "cell=LSTM seq=3 batch=2 input=4 hidden=5 dir=bidirectional bias act=HardSigmoid:0.3:0.6,LeakyRelu:0.2,ScaledTanh:1.5:0.5,Sigmoid,Affine:0.5:0.1,Softsign",
        "cell=LSTM seq=6 batch=5 input=9 hidden=64 dir=forward bias h0 c0",
        "cell=GRU seq=3 batch=1 input=2 hidden=5 dir=forward",
        "cell=GRU seq=5 batch=2 input=11 hidden=100 dir=bidirectional bias lbr",
        "cell=GRU seq=6 batch=2 input=5 hidden=33 dir=bidirectional layout=1 bias h0 lbr lens=6,3",
        "cell=GRU seq=4 batch=3 input=6 hidden=24 dir=reverse bias h0 clip=0.8 lens=4,1,0",
        "cell=GRU seq=3 batch=1 input=3 hidden=7 dir=forward bias lbr act=Elu:0.7,Softplus",
        "cell=GRU seq=49 batch=1 input=10 hidden=64 dir=forward bias",
        "cell=RNN seq=3 batch=1 input=2 hidden=4 dir=forward",
        "cell=RNN seq=5 batch=2 input=10 hidden=64 dir=bidirectional layout=1 bias h0 act=Relu,ThresholdedRelu:0.1 lens=2,5",
        "cell=RNN seq=4 batch=3 input=3 hidden=9 dir=reverse bias clip=0.3 act=Tanh lens=4,0,2",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_spec_reference_at_every_vector_width(string spec)
    {
        var c = Case.Parse(spec);
        var (y, yh, yc) = RecurrentReference.Run(c.Layer, c.X, c.W, c.R, c.B, c.P, c.Lens, c.H0, c.C0);
        foreach (var width in Widths())
        {
            var (ay, ayh, ayc) = c.RunKernel(width);
            AssertClose(y, ay, $"{spec}: Y at {width}");
            AssertClose(yh, ayh, $"{spec}: Y_h at {width}");
            if (c.Layer.Cell == "LSTM") AssertClose(yc, ayc, $"{spec}: Y_c at {width}");
        }
    }

    [Fact]
    public void Optional_outputs_can_be_left_out()
    {
        var c = Case.Parse("cell=GRU seq=4 batch=2 input=3 hidden=6 dir=forward bias");
        var (_, yh, _) = RecurrentReference.Run(c.Layer, c.X, c.W, c.R, c.B, c.P, c.Lens, c.H0, c.C0);
        var onlyH = new float[yh.Length];
        var call = Gru.Call(c.X, default, default, default, onlyH, c.Scratch(), c.Shape, c.Forward, c.Reverse, c.Clip, c.Layer.LinearBeforeReset, default);
        RecurrentKernel.RunUnpacked(call, c.W, c.R, c.B, default, VectorWidth.Auto);
        AssertClose(yh, onlyH, "Y_h alone");
    }

    [Fact]
    public void Bad_spans_and_sequence_lengths_throw()
    {
        var c = Case.Parse("cell=RNN seq=3 batch=2 input=2 hidden=4 dir=forward bias");
        var yh = new float[8];
        byte[] scratch = c.Scratch();
        Rnn.RunUnpacked(c.X, c.W, c.R, c.B, default, default, default, yh, scratch, c.Shape, c.Forward, c.Reverse, c.Clip); // the valid call runs
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X.AsSpan(1), c.W, c.R, c.B, default, default, default, yh, scratch, c.Shape, c.Forward, c.Reverse, c.Clip));
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X, c.W.AsSpan(1), c.R, c.B, default, default, default, yh, scratch, c.Shape, c.Forward, c.Reverse, c.Clip));
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X, c.W, c.R, c.B, new[] { 4, 1 }, default, default, yh, scratch, c.Shape, c.Forward, c.Reverse, c.Clip));
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X, c.W, c.R, c.B, new[] { 1 }, default, default, yh, scratch, c.Shape, c.Forward, c.Reverse, c.Clip));
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X, c.W, c.R, c.B, default, default, default, new float[7], scratch, c.Shape, c.Forward, c.Reverse, c.Clip));
        Assert.Throws<ArgumentException>(() => Rnn.RunUnpacked(c.X, c.W, c.R, c.B, default, default, default, yh, scratch.AsSpan(1), c.Shape, c.Forward, c.Reverse, c.Clip));
    }

    /// <summary>A parsed case: the layer, its random tensors and how to run the kernel on them.</summary>
    private sealed class Case
    {
        public required RecurrentReference.Layer Layer { get; init; }
        public required float[] X { get; init; }
        public required float[] W { get; init; }
        public required float[] R { get; init; }
        public float[]? B { get; init; }
        public float[]? P { get; init; }
        public int[]? Lens { get; init; }
        public float[]? H0 { get; init; }
        public float[]? C0 { get; init; }

        public RecurrentShape Shape => new(Layer.Sequence, Layer.Batch, Layer.Input, Layer.Hidden,
            Layer.Direction switch { "reverse" => RnnDirection.Reverse, "bidirectional" => RnnDirection.Bidirectional, _ => RnnDirection.Forward }, Layer.BatchFirst);
        public float Clip => Layer.Clip;
        public RnnActivations Forward => Functions(0);
        public RnnActivations Reverse => Functions(Layer.Directions - 1);

        private RnnActivations Functions(int d)
        {
            var f = Layer.Activations.Skip(d * Layer.FunctionsPerDirection).Select(a => new RnnActivation(Enum.Parse<RnnActivationKind>(a.Name), a.Alpha, a.Beta)).ToArray();
            return new RnnActivations(f[0], f.Length > 1 ? f[1] : f[0], f.Length > 2 ? f[2] : f[0]);
        }

        /// <summary>The layer's scratch with weights packed at run time, filled with garbage: the kernel must not read what it has not written.</summary>
        public byte[] Scratch()
        {
            var l = Layer;
            var bytes = new byte[RecurrentLayout.ScratchBytes(l.Gates, l.Directions, l.Sequence, l.Batch, l.Input, l.Hidden, packedAtRunTime: true)];
            Array.Fill(bytes, (byte)0xFF); // NaN floats
            return bytes;
        }

        public (float[] Y, float[] YH, float[] YC) RunKernel(VectorWidth width)
        {
            var l = Layer;
            // NaN-filled outputs: every element must be written.
            var y = Enumerable.Repeat(float.NaN, l.Sequence * l.Directions * l.Batch * l.Hidden).ToArray();
            var yh = Enumerable.Repeat(float.NaN, l.Directions * l.Batch * l.Hidden).ToArray();
            var yc = Enumerable.Repeat(float.NaN, yh.Length).ToArray();
            var call = l.Cell switch
            {
                "LSTM" => Lstm.Call(X, Lens, H0, C0, y, yh, yc, Scratch(), Shape, Forward, Reverse, Clip, l.InputForget, default, false),
                "GRU" => Gru.Call(X, Lens, H0, y, yh, Scratch(), Shape, Forward, Reverse, Clip, l.LinearBeforeReset, default),
                _ => Rnn.Call(X, Lens, H0, y, yh, Scratch(), Shape, Forward, Reverse, Clip, default),
            };
            RecurrentKernel.RunUnpacked(call, W, R, B, P, width);
            return (y, yh, yc);
        }

        public static Case Parse(string spec)
        {
            var words = spec.Split(' ');
            var kv = words.Where(w => w.Contains('=')).Select(w => w.Split('=')).ToDictionary(p => p[0], p => p[1]);
            bool Flag(string name) => words.Contains(name);
            string cell = kv["cell"];
            int seq = int.Parse(kv["seq"], CultureInfo.InvariantCulture), batch = int.Parse(kv["batch"], CultureInfo.InvariantCulture);
            int input = int.Parse(kv["input"], CultureInfo.InvariantCulture), hidden = int.Parse(kv["hidden"], CultureInfo.InvariantCulture);
            string dir = kv["dir"];
            int dirs = dir == "bidirectional" ? 2 : 1, gates = cell switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
            var defaults = cell switch
            {
                "LSTM" => new[] { "Sigmoid", "Tanh", "Tanh" },
                "GRU" => new[] { "Sigmoid", "Tanh" },
                _ => new[] { "Tanh" },
            };
            var acts = kv.TryGetValue("act", out var a)
                ? a.Split(',').Select(f => f.Split(':')).Select(p => (p[0], p.Length > 1 ? float.Parse(p[1], CultureInfo.InvariantCulture) : 0f, p.Length > 2 ? float.Parse(p[2], CultureInfo.InvariantCulture) : 0f)).ToArray()
                : Enumerable.Repeat(defaults, dirs).SelectMany(f => f).Select(f => (f, 0f, 0f)).ToArray();
            if (acts.Length == defaults.Length && dirs == 2) acts = acts.Concat(acts).ToArray();
            var layer = new RecurrentReference.Layer(cell, seq, batch, input, hidden, dir, kv.TryGetValue("layout", out var lo) && lo == "1",
                kv.TryGetValue("clip", out var cl) ? float.Parse(cl, CultureInfo.InvariantCulture) : float.PositiveInfinity,
                Flag("lbr"), Flag("forget"), acts);
            int seed = spec.Length;
            float scale = 1f / MathF.Sqrt(hidden);
            return new Case
            {
                Layer = layer,
                X = Random(seq * batch * input, seed),
                W = Random(dirs * gates * hidden * input, seed + 1, scale),
                R = Random(dirs * gates * hidden * hidden, seed + 2, scale),
                B = Flag("bias") ? Random(dirs * 2 * gates * hidden, seed + 3, 0.5f) : null,
                P = Flag("peep") ? Random(dirs * 3 * hidden, seed + 4, 0.5f) : null,
                Lens = kv.TryGetValue("lens", out var ls) ? ls.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() : null,
                H0 = Flag("h0") ? Random(dirs * batch * hidden, seed + 5) : null,
                C0 = Flag("c0") ? Random(dirs * batch * hidden, seed + 6) : null,
            };
        }
    }
}
