using System;
using System.Collections.Generic;
using System.Linq;
using ModelCompiler.Emit;
using ModelCompiler.Graph;

namespace ModelCompiler.Ops.Nn;

/// <summary>
/// ONNX Resize (opset 10/11/13/18/19) and Upsample (opset 7/9). Scales, sizes and roi must be constants, so
/// the whole sampling pattern is computed here, per axis: for every output index the input indices it reads
/// and their weights, exactly as the ONNX reference computes them (in double precision, from the float32
/// scales). The kernel only gathers and weights. Output sizes are floor(in * scale) computed exactly from the
/// float32 scale, as in the reference (ONNX Runtime multiplies in float32 and can round 5 * 1.4f up to 7).
/// <list type="bullet">
/// <item>Upsample and Resize-10 (which has Upsample's meaning): coordinate x / scale; nearest takes floor when
/// enlarging and ceil when shrinking an axis (as ONNX Runtime does); linear interpolates the two neighbours.</item>
/// <item>Resize-11+: coordinate_transformation_mode half_pixel (default), half_pixel_symmetric, pytorch_half_pixel,
/// align_corners, asymmetric, tf_half_pixel_for_nearest, tf_crop_and_resize (roi, extrapolation_value);
/// modes nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil), linear and cubic
/// (cubic_coeff_a, exclude_outside); opset 18's axes, antialias (a widened filter when shrinking) and
/// keep_aspect_ratio_policy (stretch, not_larger, not_smaller).</item>
/// </list>
/// </summary>
internal class ResizeOp : OpSchema
{
    public override string OpType => "Resize";

    /// <summary>Upsample, and Resize before opset 11.</summary>
    protected virtual bool Legacy(OpContext c) => c.Opset < 11;

    /// <summary>Everything the taps depend on, per axis of the input.</summary>
    private sealed class Plan
    {
        public int[] InShape = Array.Empty<int>();
        public int[] OutShape = Array.Empty<int>();
        public double[] Scales = Array.Empty<double>();
        /// <summary>in * scale before rounding: the reference's "output_width" (align_corners, half_pixel_symmetric and tf_crop_and_resize use it).</summary>
        public double[] OutWidths = Array.Empty<double>();
        public double[] RoiStart = Array.Empty<double>();
        public double[] RoiEnd = Array.Empty<double>();
        public string Mode = "nearest";
        public string Coordinates = "half_pixel";
        public string NearestMode = "round_prefer_floor";
        public double CubicA = -0.75;
        public bool ExcludeOutside;
        public bool Antialias;
        public float Extrapolation;
        public bool Legacy;
    }

    /// <summary>The scales of the op (Upsample-7's attribute, otherwise an input), or null when sizes are used.</summary>
    protected virtual float[]? ScalesOf(OpContext c)
    {
        int input = Legacy(c) ? 1 : 2;
        if (!c.Has(input)) return null;
        var t = c.RequireConst(input, "scales");
        return t.ElementCount == 0 ? null : t.ToFloats();
    }

    private Plan Analyze(OpContext c)
    {
        int[] x = c.Shape(0);
        int r = x.Length;
        if (r == 0) throw new ModelError("cannot resize a scalar");
        bool legacy = Legacy(c);
        string mode = c.Str("mode", "nearest");
        if (mode == "bilinear") mode = "linear"; // Upsample-1's name, accepted by some exporters later on
        if (mode is not ("nearest" or "linear" or "cubic") || (legacy && mode == "cubic"))
            throw new ModelError($"mode '{mode}' is not one of nearest, linear{(legacy ? "" : ", cubic")}");
        var p = new Plan
        {
            InShape = x,
            Mode = mode,
            Legacy = legacy,
            Coordinates = legacy ? "asymmetric" : c.Str("coordinate_transformation_mode", "half_pixel"),
            NearestMode = legacy ? "legacy" : c.Str("nearest_mode", "round_prefer_floor"),
            CubicA = c.Float("cubic_coeff_a", -0.75f),
            ExcludeOutside = !legacy && c.Int("exclude_outside", 0) != 0,
            Antialias = c.Opset >= 18 && !legacy && c.Int("antialias", 0) != 0 && mode != "nearest",
            Extrapolation = c.Float("extrapolation_value", 0f),
        };
        if (p.Coordinates is not ("half_pixel" or "half_pixel_symmetric" or "pytorch_half_pixel" or "align_corners" or "asymmetric"
            or "tf_half_pixel_for_nearest" or "tf_crop_and_resize"))
            throw new ModelError($"coordinate_transformation_mode '{p.Coordinates}' is not known");
        if (p.NearestMode is not ("legacy" or "round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw new ModelError($"nearest_mode '{p.NearestMode}' is not known");

        int[] axes = Enumerable.Range(0, r).ToArray();
        if (!legacy && c.Opset >= 18 && c.Ints("axes") is { Length: > 0 } axesAttr)
        {
            axes = axesAttr.Select(a => ShapeText.Axis(a, r, "axis")).ToArray();
            if (axes.Distinct().Count() != axes.Length) throw new ModelError("axes names an axis twice");
        }

        p.Scales = Enumerable.Repeat(1.0, r).ToArray();
        p.OutShape = (int[])x.Clone();
        p.OutWidths = x.Select(d => (double)d).ToArray();
        float[]? scales = ScalesOf(c);
        Tensor? sizes = null;
        if (!legacy && c.Has(3))
        {
            sizes = c.RequireConst(3, "sizes");
            if (sizes.ElementCount == 0) sizes = null;
        }
        if (scales is not null && sizes is not null) throw new ModelError("only one of scales and sizes may be given");
        if (scales is not null)
        {
            if (scales.Length != axes.Length) throw new ModelError($"scales has {scales.Length} values, expected {axes.Length}");
            for (int i = 0; i < axes.Length; i++)
            {
                int a = axes[i];
                if (!(scales[i] > 0)) throw new ModelError($"scale {scales[i]} must be positive");
                p.Scales[a] = scales[i];
                p.OutWidths[a] = (float)(scales[i] * x[a]);
                p.OutShape[a] = OutputDim(Math.Floor((double)scales[i] * x[a]), a);
            }
        }
        else if (sizes is not null)
        {
            long[] s = sizes.ToLongs();
            if (s.Length != axes.Length) throw new ModelError($"sizes has {s.Length} values, expected {axes.Length}");
            string policy = c.Opset >= 18 ? c.Str("keep_aspect_ratio_policy", "stretch") : "stretch";
            var ratios = axes.Select((a, i) => (double)s[i] / x[a]).ToArray();
            if (policy == "stretch")
            {
                for (int i = 0; i < axes.Length; i++)
                {
                    p.Scales[axes[i]] = ratios[i];
                    p.OutShape[axes[i]] = ShapeText.CheckedInt(s[i]);
                    p.OutWidths[axes[i]] = ratios[i] * x[axes[i]];
                }
            }
            else if (policy is "not_larger" or "not_smaller")
            {
                double scale = policy == "not_larger" ? ratios.Min() : ratios.Max();
                foreach (int a in axes)
                {
                    p.Scales[a] = scale;
                    p.OutShape[a] = OutputDim(Math.Floor(scale * x[a] + 0.5), a);
                    p.OutWidths[a] = scale * x[a];
                }
            }
            else throw new ModelError($"keep_aspect_ratio_policy '{policy}' is not one of stretch, not_larger, not_smaller");
        }
        else throw new ModelError("Resize needs scales or sizes");

        // The sampling tables become array literals in the generated code: keep them to what a build compiles
        // quickly. An output without elements needs none (CreateKernel builds none), whatever its other axes are.
        if (!HasNoElements(p))
        {
            double entries = Enumerable.Range(0, r).Sum(a => p.OutShape[a] * TapsPerIndex(p, a));
            if (!(entries <= Limits.MaxTableEntries))
                throw new LimitExceeded($"its sampling tables would have {entries:G6} entries (output indices times taps, summed over the axes of output {ShapeText.Format(p.OutShape)}); generated lookup tables may have at most {Limits.MaxTableEntries}");
        }

        p.RoiStart = new double[r];
        p.RoiEnd = Enumerable.Repeat(1.0, r).ToArray();
        if (p.Coordinates == "tf_crop_and_resize")
        {
            var roi = c.RequireConst(1, "roi (tf_crop_and_resize)").ToDoubles();
            if (roi.Length != 2 * axes.Length) throw new ModelError($"roi has {roi.Length} values, expected {2 * axes.Length}");
            for (int i = 0; i < axes.Length; i++)
            {
                p.RoiStart[axes[i]] = roi[i];
                p.RoiEnd[axes[i]] = roi[axes.Length + i];
            }
        }
        return p;
    }

    private static bool HasNoElements(Plan p) => Array.IndexOf(p.OutShape, 0) >= 0;

    /// <summary>
    /// Upper bound of the input indices <see cref="Taps"/> returns for one output index of <paramref name="axis"/>,
    /// in double: an antialiasing filter widens as 1 / scale, so shrinking a wide axis to a few elements would
    /// otherwise build millions of taps (or overflow the int footprint) before any limit is checked.
    /// </summary>
    private static double TapsPerIndex(Plan p, int axis)
    {
        if (p.Mode == "nearest") return 1;
        if (!p.Antialias) return p.Mode == "linear" ? 2 : 4;
        double s = Math.Min(p.Scales[axis], 1.0);
        double start = Math.Floor((p.Mode == "linear" ? -1 : -2) / s) + 1;
        return 2 - 2 * start;
    }

    /// <summary>An output size computed in double (scales of 1e30 or infinity give no int), checked before it is used.</summary>
    private static int OutputDim(double size, int axis) =>
        size >= 0 && size <= int.MaxValue ? (int)size
        : throw new LimitExceeded($"the output would have {size:G4} elements on axis {axis}; a dimension may be at most {int.MaxValue}");

    public override void Infer(OpContext c)
    {
        c.RequireInputs(1);
        var p = Analyze(c);
        if (p.Mode != "nearest") c.RequireType(0, t => t.IsFloat(), $"a floating-point type ({p.Mode} interpolation)");
        c.SetOutput(0, c.Type(0), p.OutShape);
    }

    /// <summary>
    /// An axis outside the two innermost whose output index <paramref name="o"/> maps onto input index o itself
    /// (same size, coordinate o, or a single element).
    /// </summary>
    private static bool IsUntouchedOuterAxis(Plan p, int axis, double xo, int o) =>
        axis < p.InShape.Length - 2 && p.InShape[axis] == p.OutShape[axis] && (xo == o || p.InShape[axis] == 1);

    /// <summary>One output index along one axis: the input indices it reads (-1: outside the crop) and their weights.</summary>
    private static (int[] Index, double[] Weight) Taps(Plan p, int axis, int o)
    {
        int size = p.InShape[axis];
        double scale = p.Scales[axis], outWidth = p.OutWidths[axis];
        double xo;
        switch (p.Coordinates)
        {
            case "align_corners": xo = outWidth == 1 ? 0 : o * (size - 1) / (outWidth - 1); break;
            case "asymmetric": xo = o / scale; break;
            case "tf_half_pixel_for_nearest": xo = (o + 0.5) / scale; break;
            case "pytorch_half_pixel": xo = outWidth == 1 ? -0.5 : (o + 0.5) / scale - 0.5; break;
            case "half_pixel_symmetric":
            {
                double adjustment = p.OutShape[axis] / outWidth;
                double center = size / 2.0;
                xo = center * (1 - adjustment) + (o + 0.5) / scale - 0.5;
                break;
            }
            case "tf_crop_and_resize":
            {
                double start = p.RoiStart[axis], end = p.RoiEnd[axis];
                xo = outWidth == 1 ? (end - start) * (size - 1) / 2 : o * (end - start) * (size - 1) / (outWidth - 1);
                xo += start * (size - 1);
                if (xo < 0 || xo > size - 1) return (new[] { -1 }, new[] { 0.0 });
                break;
            }
            default: xo = (o + 0.5) / scale - 0.5; break; // half_pixel
        }

        int Clamp(int i) => Math.Min(Math.Max(i, 0), size - 1);
        if (p.Mode == "nearest")
        {
            int i;
            double f = Math.Floor(xo);
            if (p.NearestMode == "legacy") i = scale < 1 ? (int)Math.Ceiling(xo) : (int)f;
            else if (xo == f) i = (int)f;
            else
            {
                double frac = xo - f;
                bool up = p.NearestMode switch
                {
                    "round_prefer_floor" => frac > 0.5,
                    "round_prefer_ceil" => frac >= 0.5,
                    "floor" => false,
                    _ => true, // ceil
                };
                i = (int)f + (up ? 1 : 0);
            }
            return (new[] { Clamp(i) }, new[] { 1.0 });
        }

        if (p.Mode == "linear" && !p.Antialias && IsUntouchedOuterAxis(p, axis, xo, o))
        {
            // ONNX Runtime interpolates the two innermost axes only; an outer axis of scale 1 (batch, channels) is
            // copied, so it reads one element here too: two taps would double the work of every NCHW resize.
            return (new[] { o }, new[] { 1.0 });
        }

        if (p.Mode == "linear" && !p.Antialias)
        {
            // ONNX Runtime's two neighbours: the coordinate clamped into the input, its floor and the next element
            // (the same one at the end, each weighing 1/2). The values are the reference's (ceil(x) - 1 base), but
            // the neighbour of weight 0 at a border or an integral coordinate is the one ONNX Runtime reads, so a
            // NaN or infinity there reaches the output as it does in ONNX Runtime (0 * NaN).
            double xc = Math.Min(Math.Max(xo, 0), size - 1);
            int i1 = Math.Min((int)xc, size - 1), i2 = Math.Min(i1 + 1, size - 1);
            return i1 == i2 ? (new[] { i1, i2 }, new[] { 0.5, 0.5 }) : (new[] { i1, i2 }, new[] { i2 - xc, xc - i1 });
        }

        // The reference's neighbourhood: base b = ceil(x) - 1 and ratio = x - b in (0, 1].
        int b = (int)Math.Ceiling(xo) - 1;
        double ratio = xo - b;
        double[] coeffs;
        int first;
        if (p.Mode == "linear")
        {
            double s = Math.Min(scale, 1.0);
            int start = (int)Math.Floor(-1 / s) + 1;
            int footprint = 2 - 2 * start;
            coeffs = Enumerable.Range(0, footprint).Select(k => Math.Min(1, Math.Max(0, 1 - Math.Abs((start + k - ratio) * s)))).ToArray();
            double sum = coeffs.Sum();
            for (int k = 0; k < coeffs.Length; k++) coeffs[k] /= sum;
            first = b + start;
        }
        else if (!p.Antialias)
        {
            double a = p.CubicA, q = 1 - ratio;
            coeffs = new[]
            {
                ((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a,
                ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
                ((a + 2) * q - (a + 3)) * q * q + 1,
                ((a * (q + 1) - 5 * a) * (q + 1) + 8 * a) * (q + 1) - 4 * a,
            };
            first = b - 1;
        }
        else
        {
            double s = Math.Min(scale, 1.0), a = p.CubicA;
            int start = (int)Math.Floor(-2 / s) + 1, end = 2 - start;
            coeffs = Enumerable.Range(start, end - start).Select(i =>
            {
                double t = Math.Abs(s * (i - ratio));
                return t <= 1 ? (a + 2) * t * t * t - (a + 3) * t * t + 1
                    : t < 2 ? a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a : 0.0;
            }).ToArray();
            double sum = coeffs.Sum();
            for (int k = 0; k < coeffs.Length; k++) coeffs[k] /= sum;
            first = b + start;
        }

        var index = new int[coeffs.Length];
        for (int k = 0; k < coeffs.Length; k++) index[k] = first + k;
        if (p.ExcludeOutside)
        {
            for (int k = 0; k < coeffs.Length; k++)
                if (index[k] < 0 || index[k] >= size) coeffs[k] = 0;
            double sum = coeffs.Sum();
            for (int k = 0; k < coeffs.Length; k++) coeffs[k] /= sum;
        }
        for (int k = 0; k < index.Length; k++) index[k] = Clamp(index[k]);
        return (index, coeffs);
    }

    public override string? WhyNoKernel(OpContext c) => $" ({c.Str("mode", "nearest")} interpolation runs on float32; nearest on any type)";

    public override Kernel? CreateKernel(OpContext c)
    {
        var p = Analyze(c);
        string? t = c.Type(0).CSharpName();
        if (t is null || (p.Mode != "nearest" && c.Type(0) != DataType.Float)) return null;
        int r = p.InShape.Length;
        var summary = Summary(p);
        if (HasNoElements(p))
            return new CallKernel(c.Node, w => w.Line($"// The output {ShapeText.Format(p.OutShape)} has no elements: nothing to compute."), summary + ", empty output");
        int[] strides = ShapeText.Strides(p.InShape);

        if (p.Mode == "nearest")
        {
            var sources = new List<List<int>>();
            for (int a = 0; a < r; a++)
                sources.Add(Enumerable.Range(0, p.OutShape[a]).Select(o => Taps(p, a, o).Index[0]).Select(i => i < 0 ? -1 : i * strides[a]).ToList());
            string extrapolation = c.Type(0) == DataType.Float ? LayerWriter.F(p.Extrapolation) : "default";
            return new CallKernel(c.Node, w =>
            {
                w.Line($"global::ModelCompiler.Runtime.Resize.Nearest<{t}>({w.In(0)}, {w.Out(0)}, outShape: {Literals.IntSpan(p.OutShape)},");
                WriteTable(w, "sources", "int", sources, v => Literals.Int(v), ",");
                w.Line($"    extrapolation: {extrapolation});");
            }, summary);
        }

        var taps = new int[r];
        var allSources = new List<List<int>>();
        var allWeights = new List<List<float>>();
        for (int a = 0; a < r; a++)
        {
            var perOutput = Enumerable.Range(0, p.OutShape[a]).Select(o => Taps(p, a, o)).ToList();
            // An axis where every output copies one input element needs one tap, not the filter's width.
            bool single = perOutput.All(e => e.Index[0] < 0 || e.Weight.Count(v => v != 0) == 1 && e.Weight.First(v => v != 0) == 1);
            taps[a] = single ? 1 : perOutput.Max(e => e.Index.Length);
            var sources = new List<int>();
            var weights = new List<float>();
            foreach (var (index, weight) in perOutput)
            {
                if (index[0] < 0)
                {
                    for (int k = 0; k < taps[a]; k++) { sources.Add(-1); weights.Add(0f); }
                    continue;
                }
                if (single)
                {
                    int k = Array.FindIndex(weight, v => v != 0);
                    sources.Add(index[k] * strides[a]);
                    weights.Add(1f);
                    continue;
                }
                for (int k = 0; k < taps[a]; k++)
                {
                    sources.Add(k < index.Length ? index[k] * strides[a] : 0);
                    weights.Add(k < index.Length ? (float)weight[k] : 0f);
                }
            }
            allSources.Add(sources);
            allWeights.Add(weights);
        }
        long macs = ShapeText.Product(p.OutShape) * taps.Aggregate(1L, (x, y) => x * y);
        return new CallKernel(c.Node, w =>
        {
            w.Line($"global::ModelCompiler.Runtime.Resize.Interpolate({w.In(0)}, {w.Out(0)}, outShape: {Literals.IntSpan(p.OutShape)}, taps: {Literals.IntSpan(taps)},");
            WriteTable(w, "sources", "int", allSources, v => Literals.Int(v), ",", taps);
            WriteTable(w, "weights", "float", allWeights, Literals.Float, ",", taps);
            w.Line($"    extrapolation: {LayerWriter.F(p.Extrapolation)});");
        }, summary, macs);
    }

    /// <summary>
    /// A named array argument holding per-axis tables: each axis starts a line (with a comment), about 16 values
    /// per line, never splitting the taps of one output index.
    /// </summary>
    private static void WriteTable<T>(LayerWriter w, string name, string type, List<List<T>> perAxis, Func<T, string> format, string suffix, int[]? taps = null)
    {
        w.Line($"    {name}: new {type}[]");
        w.Line("    {");
        for (int a = 0; a < perAxis.Count; a++)
        {
            var values = perAxis[a];
            if (values.Count == 0) w.Line($"        // axis {a}: empty");
            int perTap = taps?[a] ?? 1, chunk = perTap * Math.Max(1, 16 / perTap);
            for (int i = 0; i < values.Count; i += chunk)
            {
                string line = "        " + string.Join(", ", values.Skip(i).Take(chunk).Select(format)) + ",";
                w.Line(i == 0 ? $"{line} // axis {a}" : line);
            }
        }
        w.Line("    }" + suffix);
    }

    private static string Summary(Plan p)
    {
        string mode = p.Mode == "nearest" ? (p.Legacy ? "nearest" : $"nearest ({p.NearestMode})")
            : p.Mode == "cubic" ? $"cubic (a = {p.CubicA.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(p.ExcludeOutside ? ", exclude outside" : "")})" : p.Mode;
        return $"{mode}{(p.Antialias ? ", antialias" : "")}, {p.Coordinates}";
    }
}

/// <summary>
/// ONNX Upsample (opset 7: scales attribute; opset 9: scales input; deprecated at 10 in favour of Resize):
/// nearest or linear, out = floor(in * scale), with Resize-10's sampling (see <see cref="ResizeOp"/>).
/// </summary>
internal sealed class UpsampleOp : ResizeOp
{
    public override string OpType => "Upsample";

    protected override bool Legacy(OpContext c) => true;

    protected override float[]? ScalesOf(OpContext c)
    {
        if (c.Opset < 9)
            return c.Floats("scales") ?? throw new ModelError("the scales attribute is required");
        return c.RequireConst(1, "scales").ToFloats();
    }
}
