using System;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Signal;

/// <summary>
/// ONNX MelWeightMatrix (opset 17): the [dft_length / 2 + 1, num_mel_bins] matrix of triangular filters that
/// maps a one-sided spectrum to mel bands between lower_edge_hertz and upper_edge_hertz, as ONNX's reference
/// builds it (band edges on the mel scale 2595·log10(1 + f/700), rounded down to DFT bins). Every input decides
/// the values or the shape, so all must be constants; the matrix is computed at build time and becomes a weight.
/// </summary>
internal sealed class MelWeightMatrixOp : OpSchema
{
    public override string OpType => "MelWeightMatrix";
    protected override bool HasFolding => true;

    private static long Int(OpContext c, int i, string what)
    {
        var t = c.RequireConst(i, what);
        if (t.ElementCount != 1) throw new ModelError($"{what} must be a single value");
        return t.GetLong(0);
    }

    private static float Float(OpContext c, int i, string what)
    {
        var t = c.RequireConst(i, what);
        if (t.ElementCount != 1) throw new ModelError($"{what} must be a single value");
        return t.GetFloat(0);
    }

    public override void Infer(OpContext c)
    {
        c.RequireInputs(5);
        long bins = Int(c, 0, "num_mel_bins"), dft = Int(c, 1, "dft_length"), rate = Int(c, 2, "sample_rate");
        Float(c, 3, "lower_edge_hertz");
        Float(c, 4, "upper_edge_hertz");
        if (bins < 1 || dft < 1 || rate < 1) throw new ModelError($"num_mel_bins ({bins}), dft_length ({dft}) and sample_rate ({rate}) must be positive");
        c.SetOutput(0, WindowOp.OutputType(c), new[] { ShapeText.CheckedInt(dft / 2 + 1), ShapeText.CheckedInt(bins) });
    }

    public override Tensor[] Fold(OpContext c)
    {
        int melBins = (int)Int(c, 0, "num_mel_bins"), dft = (int)Int(c, 1, "dft_length"), rate = (int)Int(c, 2, "sample_rate");
        float lower = Float(c, 3, "lower_edge_hertz"), upper = Float(c, 4, "upper_edge_hertz");
        int spectrumBins = dft / 2 + 1;
        // As the reference: the mel edges in float32, the bin positions in double, floored.
        float lowMel = 2595f * (float)Math.Log10(1f + lower / 700f);
        float highMel = 2595f * (float)Math.Log10(1f + upper / 700f);
        float step = (highMel - lowMel) / (melBins + 2);
        var edges = new int[melBins + 2];
        for (int i = 0; i < edges.Length; i++)
        {
            double hz = 700 * (Math.Pow(10, (i * (double)step + lowMel) / 2595) - 1);
            edges[i] = (int)Math.Floor((dft + 1) * hz / rate);
        }
        var m = new double[spectrumBins * melBins];
        void Set(int row, int col, double v)
        {
            if (row < 0 || row >= spectrumBins) throw new ModelError($"mel band {col} reaches DFT bin {row}, outside the {spectrumBins} bins: check the edge frequencies against sample_rate");
            m[row * melBins + col] = v;
        }
        for (int i = 0; i < melBins; i++)
        {
            int low = edges[i], center = edges[i + 1], high = edges[i + 2];
            if (center == low) Set(center, i, 1);
            else for (int j = low; j <= center; j++) Set(j, i, (double)(j - low) / (center - low));
            if (high > center) for (int j = center; j < high; j++) Set(j, i, (double)(high - j) / (high - center));
        }
        return new[] { Tensor.FromDoubles(WindowOp.OutputType(c), new[] { spectrumBins, melBins }, m) };
    }
}
