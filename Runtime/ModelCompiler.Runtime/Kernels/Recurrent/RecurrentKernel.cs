using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

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

    /// <summary>Gate inputs are clipped to [-Clip, Clip]; infinity when the layer has no clip.</summary>
    public float Clip;
    public bool LinearBeforeReset, InputForget, Peepholes;
}

/// <summary>
/// Runs an LSTM, GRU or RNN layer: for each direction and each batch row, the time steps in order (reversed for the
/// reverse direction, within the row's sequence length). A step is two or three matrix-vector products over the
/// packed gate matrix (<see cref="RecurrentGemv"/>: the input's and the state's contributions to every gate, plus
/// the bias) followed by the element-wise gate math (<see cref="GateMath"/>), all on gate-padded runs of floats in
/// per-thread scratch. Outputs follow ONNX Runtime where the spec is silent: Y is zero past a row's sequence length,
/// and a row of length 0 has zero final states.
/// </summary>
internal static unsafe class RecurrentKernel
{
    public static void Run(in RecurrentCall call, VectorWidth width)
    {
        Validate(call);
        switch (SimdLevel.Resolve(width))
        {
            case VectorWidth.Bits512: Run<Vec512>(call); break;
            case VectorWidth.Bits256: Run<Vec256>(call); break;
            case VectorWidth.Bits128: Run<Vec128>(call); break;
            default: Run<Vec1>(call); break;
        }
    }

    /// <summary>
    /// Weights given in ONNX's layout at run time (graph inputs rather than constants): packed into per-thread
    /// scratch first, then <see cref="Run(in RecurrentCall, VectorWidth)"/>. <paramref name="b"/> and
    /// <paramref name="p"/> may be empty.
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
        long length = RecurrentLayout.Length(gates, d, s.Input, s.Hidden);
        float* packed = (float*)KernelScratch.Get(KernelScratch.LayerSlot, length * sizeof(float));
        fixed (float* pw = w)
        fixed (float* pr = r)
        fixed (float* pb = b)
        fixed (float* pp = p)
            RecurrentLayout.Pack(gates, d, s.Input, s.Hidden, call.LinearBeforeReset, pw, pr, b.IsEmpty ? null : pb, p.IsEmpty ? null : pp, packed);
        call.Packed = new ReadOnlySpan<float>(packed, checked((int)length));
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
        foreach (int length in c.SequenceLens)
            if (length < 0 || length > s.Sequence)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "sequence_lens holds {0}; every length must be between 0 and the sequence length {1}.", length, s.Sequence), "sequence_lens");
    }

    [DoesNotReturn]
    private static void Fail(string what, string shape, int actual) =>
        throw new ArgumentException($"{what} has {actual.ToString(CultureInfo.InvariantCulture)} elements, which does not fit {shape}.", what);

    private static void Run<TV>(in RecurrentCall c) where TV : unmanaged, IVec<TV>
    {
        var s = c.Shape;
        int gates = (int)c.Cell, hp = RecurrentLayout.PaddedHidden(s.Hidden), hidden = s.Hidden;
        long block = RecurrentLayout.DirectionLength(gates, s.Input, hidden);
        // Scratch: every time step's input projection (one row of gates * Hp per row of X), the gate inputs of the
        // current step, then the state h, the LSTM cell c and one temporary, each Hp floats.
        int columns = gates * hp;
        long rows = (long)s.Sequence * s.Batch;
        float* xw = (float*)KernelScratch.Get(KernelScratch.ItemSlot, (rows * columns + (long)(gates + 3) * hp) * sizeof(float));
        float* g = xw + rows * columns;
        float* h = g + gates * hp, cell = h + hp, tmp = cell + hp;
        fixed (float* x = c.X)
        fixed (float* packed = c.Packed)
        fixed (int* lens = c.SequenceLens)
        fixed (float* h0 = c.InitialH)
        fixed (float* c0 = c.InitialC)
        fixed (float* y = c.Y)
        fixed (float* yh = c.YH)
        fixed (float* yc = c.YC)
        {
            var step = new Step(packed, s.Input, hidden, hp, gates, c.Clip, c.LinearBeforeReset, c.InputForget, c.Peepholes);
            for (int d = 0; d < s.Directions; d++)
            {
                var act = d == 0 ? c.Forward : c.Reverse;
                bool reverse = s.IsReverse(d);
                step.Weights = packed + d * block;
                // X W^T + bias for all steps at once: a matrix product that reuses each weight over four rows,
                // where step by step every weight would be read again for each row.
                RecurrentGemv.Rows<TV>(x, (int)rows, s.Input, step.Weights, columns, step.Bias, xw);
                for (int b = 0; b < s.Batch; b++)
                {
                    int length = lens == null ? s.Sequence : lens[b];
                    long state = s.StateOffset(d, b);
                    Load(h, h0 == null ? null : h0 + state, hidden, hp);
                    Load(cell, c0 == null ? null : c0 + state, hidden, hp);
                    for (int k = 0; k < length; k++)
                    {
                        int t = reverse ? length - 1 - k : k;
                        switch (c.Cell)
                        {
                            case RecurrentCell.Lstm: step.Lstm<TV>(xw + s.XOffset(t, b) / s.Input * columns, h, cell, g, tmp, act); break;
                            case RecurrentCell.Gru: step.Gru<TV>(xw + s.XOffset(t, b) / s.Input * columns, h, g, tmp, act); break;
                            default: step.Rnn<TV>(xw + s.XOffset(t, b) / s.Input * columns, h, g, act); break;
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
        public readonly void Gru<TV>(float* xw, float* h, float* g, float* tmp, in RnnActivations act) where TV : unmanaged, IVec<TV>
        {
            int hp = _hp, vc = TV.Count;
            float* z = g, r = g + hp, hh = g + 2 * hp;
            Project<TV>(xw, h, g, 2 * hp);
            GateMath.Activate<TV>(g, 2 * hp, act.F, _clip);
            float* rh = Recurrent + 2 * hp;
            if (_linearBeforeReset)
            {
                RecurrentGemv.Run<TV>(h, _hidden, rh, _columns, hp, Extra, tmp);
                for (int i = 0; i < hp; i += vc) TV.Store(hh + i, TV.MultiplyAdd(TV.Load(r + i), TV.Load(tmp + i), TV.Load(hh + i)));
            }
            else
            {
                for (int i = 0; i < hp; i += vc) TV.Store(tmp + i, TV.Multiply(TV.Load(r + i), TV.Load(h + i)));
                RecurrentGemv.Run<TV>(tmp, _hidden, rh, _columns, hp, hh, hh);
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
