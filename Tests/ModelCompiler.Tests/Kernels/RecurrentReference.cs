using System;
using System.Linq;

namespace ModelCompiler.Tests.Kernels;

/// <summary>
/// LSTM, GRU and RNN written straight from the ONNX operator spec (equations, attribute meanings, tensor layouts),
/// in double precision, one element at a time: the reference the vectorized kernels are tested against. Where the
/// spec is silent it follows ONNX Runtime: Y is zero past a row's sequence length, and a row of length 0 has zero
/// final states. Weights are in ONNX's layout: W [D][G*H][I], R [D][G*H][H], B [D][2*G*H], P [D][3*H].
/// </summary>
internal static class RecurrentReference
{
    public sealed record Layer(string Cell, int Sequence, int Batch, int Input, int Hidden, string Direction, bool BatchFirst,
        float Clip, bool LinearBeforeReset, bool InputForget, (string Name, float Alpha, float Beta)[] Activations)
    {
        public int Gates => Cell switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        public int Directions => Direction == "bidirectional" ? 2 : 1;
        public int FunctionsPerDirection => Cell switch { "LSTM" => 3, "GRU" => 2, _ => 1 };

        public long X(int t, int b) => (BatchFirst ? (long)b * Sequence + t : (long)t * Batch + b) * Input;
        public long Y(int t, int d, int b) => (BatchFirst ? ((long)b * Sequence + t) * Directions + d : ((long)t * Directions + d) * Batch + b) * Hidden;
        public long State(int d, int b) => (BatchFirst ? (long)b * Directions + d : (long)d * Batch + b) * Hidden;
    }

    /// <summary>ONNX's activation functions (the table in the LSTM/GRU/RNN spec).</summary>
    public static double Activate((string Name, float Alpha, float Beta) f, double x) => f.Name switch
    {
        "Relu" => Math.Max(0, x),
        "Tanh" => Math.Tanh(x),
        "Sigmoid" => 1 / (1 + Math.Exp(-x)),
        "Affine" => f.Alpha * x + f.Beta,
        "LeakyRelu" => x >= 0 ? x : f.Alpha * x,
        "ThresholdedRelu" => x > f.Alpha ? x : 0,
        "ScaledTanh" => f.Alpha * Math.Tanh(f.Beta * x),
        "HardSigmoid" => Math.Min(Math.Max(f.Alpha * x + f.Beta, 0), 1),
        "Elu" => x >= 0 ? x : f.Alpha * (Math.Exp(x) - 1),
        "Softsign" => x / (1 + Math.Abs(x)),
        "Softplus" => Math.Log(1 + Math.Exp(x)),
        _ => throw new ArgumentException(f.Name),
    };

    /// <summary>Returns Y, Y_h and Y_c (Y_c only for LSTM). Optional inputs are null.</summary>
    public static (float[] Y, float[] YH, float[] YC) Run(Layer l, float[] x, float[] w, float[] r, float[]? b, float[]? p,
        int[]? sequenceLens, float[]? initialH, float[]? initialC)
    {
        int hidden = l.Hidden, input = l.Input, gates = l.Gates;
        var y = new float[(long)l.Sequence * l.Directions * l.Batch * hidden];
        var yh = new float[(long)l.Directions * l.Batch * hidden];
        var yc = new float[yh.Length];
        double Clip(double v) => l.Clip < float.PositiveInfinity ? Math.Min(l.Clip, Math.Max(-l.Clip, v)) : v;
        for (int d = 0; d < l.Directions; d++)
        {
            bool reverse = l.Direction == "reverse" || d == 1;
            var fs = l.Activations.Skip(d * l.FunctionsPerDirection).Take(l.FunctionsPerDirection).ToArray();
            // Gate g's pre-activation from the input, the state and the bias, for one output unit j.
            double Wx(int t, int bb, int g, int j)
            {
                double s = 0;
                for (int i = 0; i < input; i++) s += x[l.X(t, bb) + i] * (double)w[((long)d * gates * hidden + g * hidden + j) * input + i];
                return s;
            }
            double Rh(double[] h, int g, int j)
            {
                double s = 0;
                for (int k = 0; k < hidden; k++) s += h[k] * r[((long)d * gates * hidden + g * hidden + j) * hidden + k];
                return s;
            }
            double Wb(int g, int j) => b is null ? 0 : b[(long)d * 2 * gates * hidden + g * hidden + j];
            double Rb(int g, int j) => b is null ? 0 : b[(long)d * 2 * gates * hidden + (gates + g) * hidden + j];
            double P(int q, int j) => p is null ? 0 : p[(long)d * 3 * hidden + q * hidden + j];

            for (int bb = 0; bb < l.Batch; bb++)
            {
                int length = sequenceLens?[bb] ?? l.Sequence;
                var h = new double[hidden];
                var c = new double[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    h[j] = initialH?[l.State(d, bb) + j] ?? 0;
                    c[j] = initialC?[l.State(d, bb) + j] ?? 0;
                }
                for (int k = 0; k < length; k++)
                {
                    int t = reverse ? length - 1 - k : k;
                    var hn = new double[hidden];
                    var cn = new double[hidden];
                    for (int j = 0; j < hidden; j++)
                    {
                        switch (l.Cell)
                        {
                            case "LSTM":
                            {
                                // Gate order i, o, f, c; peepholes i, o, f.
                                double it = Activate(fs[0], Clip(Wx(t, bb, 0, j) + Rh(h, 0, j) + P(0, j) * c[j] + Wb(0, j) + Rb(0, j)));
                                double ft = l.InputForget ? 1 - it : Activate(fs[0], Clip(Wx(t, bb, 2, j) + Rh(h, 2, j) + P(2, j) * c[j] + Wb(2, j) + Rb(2, j)));
                                double ct = Activate(fs[1], Clip(Wx(t, bb, 3, j) + Rh(h, 3, j) + Wb(3, j) + Rb(3, j)));
                                cn[j] = ft * c[j] + it * ct;
                                double ot = Activate(fs[0], Clip(Wx(t, bb, 1, j) + Rh(h, 1, j) + P(1, j) * cn[j] + Wb(1, j) + Rb(1, j)));
                                hn[j] = ot * Activate(fs[2], cn[j]);
                                break;
                            }
                            case "GRU":
                            {
                                double zt = Activate(fs[0], Clip(Wx(t, bb, 0, j) + Rh(h, 0, j) + Wb(0, j) + Rb(0, j)));
                                double pre;
                                if (l.LinearBeforeReset)
                                {
                                    double rt = Activate(fs[0], Clip(Wx(t, bb, 1, j) + Rh(h, 1, j) + Wb(1, j) + Rb(1, j)));
                                    pre = Wx(t, bb, 2, j) + rt * (Rh(h, 2, j) + Rb(2, j)) + Wb(2, j);
                                }
                                else
                                {
                                    // (rt . Ht-1) Rh^T needs every unit's reset gate.
                                    var rh = new double[hidden];
                                    for (int q = 0; q < hidden; q++)
                                        rh[q] = Activate(fs[0], Clip(Wx(t, bb, 1, q) + Rh(h, 1, q) + Wb(1, q) + Rb(1, q))) * h[q];
                                    pre = Wx(t, bb, 2, j) + Rh(rh, 2, j) + Rb(2, j) + Wb(2, j);
                                }
                                double ht = Activate(fs[1], Clip(pre));
                                hn[j] = (1 - zt) * ht + zt * h[j];
                                break;
                            }
                            default:
                                hn[j] = Activate(fs[0], Clip(Wx(t, bb, 0, j) + Rh(h, 0, j) + Wb(0, j) + Rb(0, j)));
                                break;
                        }
                    }
                    h = hn;
                    c = cn;
                    for (int j = 0; j < hidden; j++) y[l.Y(t, d, bb) + j] = (float)h[j];
                }
                for (int j = 0; j < hidden; j++)
                {
                    yh[l.State(d, bb) + j] = length == 0 ? 0 : (float)h[j];
                    yc[l.State(d, bb) + j] = length == 0 ? 0 : (float)c[j];
                }
            }
        }
        return (y, yh, yc);
    }
}
