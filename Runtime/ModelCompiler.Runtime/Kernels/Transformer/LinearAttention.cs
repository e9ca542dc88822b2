using System;
using System.ComponentModel;

namespace ModelCompiler.Runtime;

/// <summary>
/// ONNX LinearAttention (opset 27) in float32: a recurrent state S (d_k x d_v per batch entry and KV head) updated
/// step by step. query is [B, T, H_q * d_k], key [B, T, H_kv * d_k], value [B, T, H_kv * d_v]; query head h reads
/// the state of KV head h / (H_q / H_kv). Per step t: gated rules first scale row i of S by exp(decay) (decay per
/// KV head, or per key dimension); delta rules replace v by beta * (v - S^T k') with k' = erase_gate * k (or k);
/// then S += k v^T, and o = scale * q^T S. The state lives in <c>presentState</c> ([B, H_kv, d_k, d_v]), which
/// starts as <c>pastState</c> or zeros.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LinearAttention
{
    /// <summary>One LinearAttention layer; absent optional inputs are empty spans.</summary>
    public static void Run(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> pastState,
        ReadOnlySpan<float> decay, ReadOnlySpan<float> beta, ReadOnlySpan<float> eraseGate, Span<float> output, Span<float> presentState,
        int batch, int steps, int qHeads, int kvHeads, int dk, int dv, bool decayPerKey, bool betaPerHead, float scale)
    {
        if (pastState.IsEmpty) presentState.Clear();
        else if (!pastState.Overlaps(presentState)) pastState.CopyTo(presentState);
        int group = qHeads / kvHeads;
        Span<float> v = dv <= 256 ? stackalloc float[dv] : new float[dv];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++)
            {
                int row = b * steps + t;
                for (int hk = 0; hk < kvHeads; hk++)
                {
                    var s = presentState.Slice((b * kvHeads + hk) * dk * dv, dk * dv);
                    var k = key.Slice((row * kvHeads + hk) * dk, dk);
                    value.Slice((row * kvHeads + hk) * dv, dv).CopyTo(v);
                    if (!decay.IsEmpty)
                        for (int i = 0; i < dk; i++)
                        {
                            float factor = MathF.Exp(decayPerKey ? decay[(row * kvHeads + hk) * dk + i] : decay[row * kvHeads + hk]);
                            var si = s.Slice(i * dv, dv);
                            for (int m = 0; m < dv; m++) si[m] *= factor;
                        }
                    if (!beta.IsEmpty)
                    {
                        float bt = beta[betaPerHead ? row * kvHeads + hk : row];
                        for (int m = 0; m < dv; m++)
                        {
                            float retrieved = 0;
                            for (int i = 0; i < dk; i++)
                                retrieved += s[i * dv + m] * (eraseGate.IsEmpty ? k[i] : eraseGate[(row * kvHeads + hk) * dk + i] * k[i]);
                            v[m] = bt * (v[m] - retrieved);
                        }
                    }
                    for (int i = 0; i < dk; i++)
                    {
                        var si = s.Slice(i * dv, dv);
                        for (int m = 0; m < dv; m++) si[m] += k[i] * v[m];
                    }
                }
                for (int h = 0; h < qHeads; h++)
                {
                    var s = presentState.Slice((b * kvHeads + h / group) * dk * dv, dk * dv);
                    var q = query.Slice((row * qHeads + h) * dk, dk);
                    var o = output.Slice((row * qHeads + h) * dv, dv);
                    for (int m = 0; m < dv; m++)
                    {
                        float sum = 0;
                        for (int i = 0; i < dk; i++) sum += q[i] * s[i * dv + m];
                        o[m] = scale * sum;
                    }
                }
            }
    }
}
