using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>The three ONNX recurrent cells; the value is the number of gates.</summary>
internal enum RecurrentCell
{
    Rnn = 1,
    Gru = 3,
    Lstm = 4,
}

/// <summary>One recurrent layer call: its tensors (optional ones empty), sizes and attributes.</summary>
internal ref struct RecurrentCall
{
    public RecurrentCell Cell;
    public RecurrentShape Shape;
    public ReadOnlySpan<float> X, Packed, InitialH, InitialC;
    public ReadOnlySpan<int> SequenceLens;
    public Span<float> Y, YH, YC;
    public RnnActivations Forward, Reverse;

    /// <summary>Working memory from the memory plan: at least <c>RecurrentLayout.ScratchBytes</c>.</summary>
    public Span<byte> Scratch;

    /// <summary>Gate inputs are clipped to [-Clip, Clip]; infinity when the layer has no clip.</summary>
    public float Clip;
    public bool LinearBeforeReset, InputForget, Peepholes;
}

/// <summary>
/// Runs an LSTM, GRU or RNN layer: for each direction, the input projection of every time step at once (a matrix
/// product over the packed gate matrix, <see cref="RecurrentGemv.Rows{TV}"/>), then for each batch row the time steps
/// in order (reversed for the reverse direction, within the row's sequence length). A step is one or two
/// matrix-vector products of the state over the recurrent rows (<see cref="RecurrentGemv.Run{TV}"/>) followed by the
/// element-wise gate math (<see cref="GateMath"/>), all on gate-padded runs of floats in the layer's scratch (from
/// the memory plan). Outputs follow ONNX Runtime where the spec is silent: Y is zero past a row's sequence length,
/// and a row of length 0 has zero final states.
/// </summary>
internal static unsafe class RecurrentKernel
{
    public static void Run(in RecurrentCall call, VectorWidth width)
    {
        Validate(call);
        var s = call.Shape;
        fixed (float* x = call.X)
        fixed (float* packed = call.Packed)
        fixed (int* lens = call.SequenceLens)
        fixed (float* h0 = call.InitialH)
        fixed (float* c0 = call.InitialC)
        fixed (float* y = call.Y)
        fixed (float* yh = call.YH)
        fixed (float* yc = call.YC)
        fixed (byte* scratch = call.Scratch)
        {
            var args = new RecurrentArgs
            {
                Cell = call.Cell, Shape = s, X = x, Packed = packed, SequenceLens = lens, InitialH = h0, InitialC = c0, Y = y, YH = yh, YC = yc,
                Scratch = (float*)scratch, Forward = call.Forward, Reverse = call.Reverse, Clip = call.Clip,
                LinearBeforeReset = call.LinearBeforeReset, InputForget = call.InputForget, Peepholes = call.Peepholes,
            };
            SimdLevel.Run<Kernel, RecurrentArgs>(width, args, threads: 1);
        }
    }

    /// <summary>
    /// Weights given in ONNX's layout at run time (graph inputs rather than constants): packed into the end of the
    /// scratch first (<c>RecurrentLayout.PackedScratchBytes</c>), then <see cref="Run(in RecurrentCall, VectorWidth)"/>.
    /// <paramref name="b"/> and <paramref name="p"/> may be empty.
    /// </summary>
    public static void RunUnpacked(RecurrentCall call, ReadOnlySpan<float> w, ReadOnlySpan<float> r, ReadOnlySpan<float> b, ReadOnlySpan<float> p, VectorWidth width)
    {
        var s = call.Shape;
        int gates = (int)call.Cell, d = s.Directions;
        long rows = (long)d * gates * s.Hidden;
        // Messages are formatted only on failure: a steady-state call allocates nothing.
        if (w.Length != rows * s.Input) Fail("W", $"[{d}, {gates * s.Hidden}, {s.Input}]", w.Length);
        if (r.Length != rows * s.Hidden) Fail("R", $"[{d}, {gates * s.Hidden}, {s.Hidden}]", r.Length);
        if (!b.IsEmpty && b.Length != 2 * rows) Fail("B", $"[{d}, {2 * gates * s.Hidden}]", b.Length);
        if (!p.IsEmpty && p.Length != (long)d * 3 * s.Hidden) Fail("P", $"[{d}, {3 * s.Hidden}]", p.Length);
        long step = RecurrentLayout.StepScratchBytes(gates, s.Sequence, s.Batch, s.Hidden);
        long length = RecurrentLayout.Length(gates, d, s.Input, s.Hidden);
        if (call.Scratch.Length < step + RecurrentLayout.PackedScratchBytes(gates, d, s.Input, s.Hidden))
            Fail("scratch", "RecurrentLayout.ScratchBytes", call.Scratch.Length);
        var packedBytes = call.Scratch.Slice((int)step);
        fixed (float* pw = w)
        fixed (float* pr = r)
        fixed (float* pb = b)
        fixed (float* pp = p)
        fixed (byte* packed = packedBytes)
            RecurrentLayout.Pack(gates, d, s.Input, s.Hidden, call.LinearBeforeReset, pw, pr, b.IsEmpty ? null : pb, p.IsEmpty ? null : pp, (float*)packed);
        call.Packed = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(packedBytes).Slice(0, checked((int)length));
        call.Scratch = call.Scratch.Slice(0, (int)step);
        call.Peepholes = !p.IsEmpty;
        Run(call, width);
    }

    private static void Validate(in RecurrentCall c)
    {
        var s = c.Shape;
        if (c.X.Length != s.XLength) Fail("X", "[sequence, batch, input]", c.X.Length);
        if (c.Packed.Length < RecurrentLayout.Length((int)c.Cell, s.Directions, s.Input, s.Hidden)) Fail("packed weights", "the packed layout", c.Packed.Length);
        if (!c.SequenceLens.IsEmpty && c.SequenceLens.Length != s.Batch) Fail("sequence_lens", "[batch]", c.SequenceLens.Length);
        if (!c.InitialH.IsEmpty && c.InitialH.Length != s.StateLength) Fail("initial_h", "[directions, batch, hidden]", c.InitialH.Length);
        if (!c.InitialC.IsEmpty && c.InitialC.Length != s.StateLength) Fail("initial_c", "[directions, batch, hidden]", c.InitialC.Length);
        if (!c.Y.IsEmpty && c.Y.Length != s.YLength) Fail("Y", "[sequence, directions, batch, hidden]", c.Y.Length);
        if (!c.YH.IsEmpty && c.YH.Length != s.StateLength) Fail("Y_h", "[directions, batch, hidden]", c.YH.Length);
        if (!c.YC.IsEmpty && c.YC.Length != s.StateLength) Fail("Y_c", "[directions, batch, hidden]", c.YC.Length);
        if (c.Scratch.Length < RecurrentLayout.StepScratchBytes((int)c.Cell, s.Sequence, s.Batch, s.Hidden)) Fail("scratch", "RecurrentLayout.ScratchBytes", c.Scratch.Length);
        foreach (int length in c.SequenceLens)
            if (length < 0 || length > s.Sequence)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "sequence_lens holds {0}; every length must be between 0 and the sequence length {1}.", length, s.Sequence), "sequence_lens");
    }

    [DoesNotReturn]
    private static void Fail(string what, string shape, int actual) =>
        throw new ArgumentException($"{what} has {actual.ToString(CultureInfo.InvariantCulture)} elements, which does not fit {shape}.", what);

    /// <summary>One validated call as pointers (optional tensors null), for the ISA dispatch.</summary>
    private readonly struct RecurrentArgs
    {
        public RecurrentCell Cell { get; init; }
        public RecurrentShape Shape { get; init; }
        public float* X { get; init; }
        public float* Packed { get; init; }
        public int* SequenceLens { get; init; }
        public float* InitialH { get; init; }
        public float* InitialC { get; init; }
        public float* Y { get; init; }
        public float* YH { get; init; }
        public float* YC { get; init; }
        public float* Scratch { get; init; }
        public RnnActivations Forward { get; init; }
        public RnnActivations Reverse { get; init; }
        public float Clip { get; init; }
        public bool LinearBeforeReset { get; init; }
        public bool InputForget { get; init; }
        public bool Peepholes { get; init; }
    }

    /// <summary>The layer at one vector width; a recurrence runs on one thread (each step needs the last).</summary>
    private readonly struct Kernel : IVectorKernel<RecurrentArgs>
    {
        public static void Run<TV>(in RecurrentArgs c, int threads) where TV : unmanaged, IVec<TV>
        {
            var s = c.Shape;
            int gates = (int)c.Cell, hp = RecurrentLayout.PaddedHidden(s.Hidden), hidden = s.Hidden;
            long block = RecurrentLayout.DirectionLength(gates, s.Input, hidden);
            // Scratch (RecurrentLayout.StepScratchBytes): every time step's input projection (one row of gates * Hp
            // per row of X), the gate inputs of the current step, then the state h, the LSTM cell and one temporary.
            int columns = gates * hp;
            long rows = (long)s.Sequence * s.Batch;
            float* xw = c.Scratch;
            float* g = xw + rows * columns;
            float* h = g + gates * hp, cell = h + hp, tmp = cell + hp;
            float* x = c.X, y = c.Y, yh = c.YH, yc = c.YC;
            var step = new Step(c.Packed, s.Input, hidden, hp, gates, c.Clip, c.LinearBeforeReset, c.InputForget, c.Peepholes);
            for (int d = 0; d < s.Directions; d++)
            {
                var act = d == 0 ? c.Forward : c.Reverse;
                bool reverse = s.IsReverse(d);
                step.Weights = c.Packed + d * block;
                // X W^T + bias for all steps at once: a matrix product that reuses each weight over four rows,
                // where step by step every weight would be read again for each row.
                RecurrentGemv.Rows<TV>(x, (int)rows, s.Input, step.Weights, columns, step.Bias, xw);
                for (int b = 0; b < s.Batch; b++)
                {
                    int length = c.SequenceLens == null ? s.Sequence : c.SequenceLens[b];
                    long state = s.StateOffset(d, b);
                    Load(h, c.InitialH == null ? null : c.InitialH + state, hidden, hp);
                    Load(cell, c.InitialC == null ? null : c.InitialC + state, hidden, hp);
                    for (int k = 0; k < length; k++)
                    {
                        int t = reverse ? length - 1 - k : k;
                        float* projected = xw + s.XOffset(t, b) / s.Input * columns;
                        switch (c.Cell)
                        {
                            case RecurrentCell.Lstm: step.Lstm<TV>(projected, h, cell, g, tmp, act); break;
                            case RecurrentCell.Gru: step.Gru<TV>(projected, h, g, tmp, act); break;
                            default: step.Rnn<TV>(projected, h, g, act); break;
                        }
                        if (y != null) new ReadOnlySpan<float>(h, hidden).CopyTo(new Span<float>(y + s.YOffset(t, d, b), hidden));
                    }
                    if (y != null)
                        for (int t = length; t < s.Sequence; t++) new Span<float>(y + s.YOffset(t, d, b), hidden).Clear();
                    if (yh != null) Store(length == 0 ? null : h, yh + state, hidden);
                    if (yc != null) Store(length == 0 ? null : cell, yc + state, hidden);
                }
            }
        }
    }

    /// <summary>state[0..hidden) from an initial state (or zeros), zero padding up to Hp.</summary>
    private static void Load(float* state, float* initial, int hidden, int hp)
    {
        var span = new Span<float>(state, hp);
        span.Clear();
        if (initial != null) new ReadOnlySpan<float>(initial, hidden).CopyTo(span);
    }

    private static void Store(float* state, float* output, int hidden)
    {
        var o = new Span<float>(output, hidden);
        if (state == null) o.Clear();
        else new ReadOnlySpan<float>(state, hidden).CopyTo(o);
    }

    /// <summary>One direction's packed weights and the layer's attributes: the three cells' time steps.</summary>
    private struct Step
    {
        private readonly int _input, _hidden, _hp, _columns;
        private readonly float _clip;
        private readonly bool _linearBeforeReset, _inputForget, _peepholes;
        public float* Weights;

        public Step(float* weights, int input, int hidden, int hp, int gates, float clip, bool linearBeforeReset, bool inputForget, bool peepholes)
        {
            Weights = weights;
            _input = input;
            _hidden = hidden;
            _hp = hp;
            _columns = gates * hp;
            _clip = clip;
            _linearBeforeReset = linearBeforeReset;
            _inputForget = inputForget;
            _peepholes = peepholes;
        }

        private readonly float* Recurrent => Weights + (long)_input * _columns;
        public readonly float* Bias => Weights + (long)(_input + _hidden) * _columns;
        private readonly float* Extra => Bias + _columns;

        /// <summary>g[0..stateColumns) = xw + h R^T (xw: the step's input projection with the bias); the rest of g is xw.</summary>
        private readonly void Project<TV>(float* xw, float* h, float* g, int stateColumns) where TV : unmanaged, IVec<TV>
        {
            RecurrentGemv.Run<TV>(h, _hidden, Recurrent, _columns, stateColumns, xw, g);
            if (stateColumns < _columns) new ReadOnlySpan<float>(xw + stateColumns, _columns - stateColumns).CopyTo(new Span<float>(g + stateColumns, _columns - stateColumns));
        }

        /// <summary>Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see Gru
        public readonly void Rnn<TV>(float* xw, float* h, float* g, in RnnActivations act) where TV : unmanaged, IVec<TV>
        {
            Project<TV>(xw, h, g, _columns);
            GateMath.Activate<TV>(g, _hp, act.F, _clip);
            new ReadOnlySpan<float>(g, _hp).CopyTo(new Span<float>(h, _hp));
        }

        /// <summary>
        /// zt, rt = f(Xt W[zr]^T + Ht-1 R[zr]^T + b); ht = g(Xt Wh^T + (rt . Ht-1) Rh^T + Wbh + Rbh), or with
        /// linear_before_reset g(Xt Wh^T + rt . (Ht-1 Rh^T + Rbh) + Wbh); Ht = (1 - zt) . ht + zt . Ht-1.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // its own inlining budget: inlined into Kernel.Run, its vector calls were not
        public readonly void Gru<TV>(float* xw, float* h, float* g, float* tmp, in RnnActivations act) where TV : unmanaged, IVec<TV>
        {
            int hp = _hp, vc = TV.Count;
            float* z = g, r = g + hp, hh = g + 2 * hp;
            if (_linearBeforeReset)
            {
                // z, r and the candidate's recurrent part (Rh h + Rbh) in one pass over the rows of R: the reset gate
                // multiplies that product rather than h, so the three are independent and every row of weights is read
                // once with all 3 x Hp columns in registers (two passes left the second latency-bound on Hp columns).
                new ReadOnlySpan<float>(xw, 2 * hp).CopyTo(new Span<float>(g, 2 * hp));
                new ReadOnlySpan<float>(Extra, hp).CopyTo(new Span<float>(hh, hp));
                RecurrentGemv.Run<TV>(h, _hidden, Recurrent, _columns, 3 * hp, g, g);
                GateMath.Activate<TV>(g, 2 * hp, act.F, _clip);
                float* xh = xw + 2 * hp;
                for (int i = 0; i < hp; i += vc) TV.Store(hh + i, TV.MultiplyAdd(TV.Load(r + i), TV.Load(hh + i), TV.Load(xh + i)));
            }
            else
            {
                Project<TV>(xw, h, g, 2 * hp);
                GateMath.Activate<TV>(g, 2 * hp, act.F, _clip);
                for (int i = 0; i < hp; i += vc) TV.Store(tmp + i, TV.Multiply(TV.Load(r + i), TV.Load(h + i)));
                RecurrentGemv.Run<TV>(tmp, _hidden, Recurrent + 2 * hp, _columns, hp, hh, hh);
            }
            GateMath.Activate<TV>(hh, hp, act.G, _clip);
            // Ht = ht + zt . (Ht-1 - ht)
            for (int i = 0; i < hp; i += vc)
            {
                TV candidate = TV.Load(hh + i);
                TV.Store(h + i, TV.MultiplyAdd(TV.Load(z + i), GateMath.Subtract(TV.Load(h + i), candidate), candidate));
            }
        }
        /// <summary>
        /// it = f(.. + Pi . Ct-1), ft = f(.. + Pf . Ct-1) (or 1 - it with input_forget), ct = g(..),
        /// Ct = ft . Ct-1 + it . ct, ot = f(.. + Po . Ct), Ht = ot . h(Ct); gates in ONNX order i, o, f, c.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see Gru
        public readonly void Lstm<TV>(float* xw, float* h, float* cell, float* g, float* tmp, in RnnActivations act) where TV : unmanaged, IVec<TV>
        {
            int hp = _hp, vc = TV.Count;
            float* gi = g, go = g + hp, gf = g + 2 * hp, gc = g + 3 * hp;
            float* pi = Extra, po = Extra + hp, pf = Extra + 2 * hp;
            Project<TV>(xw, h, g, _columns);
            if (_peepholes)
                for (int i = 0; i < hp; i += vc)
                {
                    TV c = TV.Load(cell + i);
                    TV.Store(gi + i, TV.MultiplyAdd(TV.Load(pi + i), c, TV.Load(gi + i)));
                    TV.Store(gf + i, TV.MultiplyAdd(TV.Load(pf + i), c, TV.Load(gf + i)));
                }
            GateMath.Activate<TV>(gi, hp, act.F, _clip);
            if (_inputForget)
                for (int i = 0; i < hp; i += vc) TV.Store(gf + i, GateMath.Subtract(TV.Splat(1f), TV.Load(gi + i)));
            else
                GateMath.Activate<TV>(gf, hp, act.F, _clip);
            GateMath.Activate<TV>(gc, hp, act.G, _clip);
            for (int i = 0; i < hp; i += vc)
            {
                TV c = TV.MultiplyAdd(TV.Load(gf + i), TV.Load(cell + i), TV.Multiply(TV.Load(gi + i), TV.Load(gc + i)));
                TV.Store(cell + i, c);
                if (_peepholes) TV.Store(go + i, TV.MultiplyAdd(TV.Load(po + i), c, TV.Load(go + i)));
                TV.Store(tmp + i, c);
            }
            GateMath.Activate<TV>(go, hp, act.F, _clip);
            GateMath.Activate<TV>(tmp, hp, act.H, float.PositiveInfinity);
            for (int i = 0; i < hp; i += vc) TV.Store(h + i, TV.Multiply(TV.Load(go + i), TV.Load(tmp + i)));
        }
    }
}
