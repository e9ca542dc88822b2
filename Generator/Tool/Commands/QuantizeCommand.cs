using System.CommandLine;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Quantization;
using ModelCompiler.Tool.Transforms;

namespace ModelCompiler.Tool.Commands;

/// <summary>
/// <c>modelc quantize</c>: static post-training quantization (QDQ in ONNX Runtime's layout, or QOperator) calibrated on
/// data, or dynamic quantization of the weight layers.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(ToolContext ctx)
    {
        var output = Common.Out();
        var calibration = new Option<string?>("--calibration") { Description = "Calibration data for static quantization (.npy, raw float32 .bin or an image folder)." };
        var calibrationSamples = new Option<int?>("--calibration-samples") { Description = "Calibrate on at most this many samples of --calibration (default: all)." };
        var format = new Option<string?>("--format") { Description = "qdq (QuantizeLinear/DequantizeLinear around float ops; the default) or qoperator (QLinearConv, QLinearMatMul, com.microsoft QLinear* ops)." };
        format.AcceptOnlyFromAmong("qdq", "qoperator");
        var perChannel = new Option<bool>("--per-channel") { Description = "One weight scale per output channel for Conv (Gemm/MatMul stay per tensor; with --dynamic, per output column)." };
        var weights = new Option<string>("--weights") { Description = "Weight type: int8 (symmetric, [-127, 127]) or int4 ([-7, 7], DequantizeLinear at opset 21; QDQ only).", DefaultValueFactory = _ => "int8" };
        weights.AcceptOnlyFromAmong("int8", "int4");
        var activations = new Option<string>("--activations") { Description = "Activation type: uint8 or int8 (asymmetric).", DefaultValueFactory = _ => "uint8" };
        activations.AcceptOnlyFromAmong("uint8", "int8");
        var method = new Option<string>("--method") { Description = "Calibration: minmax, percentile or entropy (KL).", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile", "entropy");
        var percentile = new Option<double>("--percentile") { Description = "The percentile --method percentile keeps.", DefaultValueFactory = _ => 99.999 };
        var dynamic = new Option<bool>("--dynamic") { Description = "Dynamic quantization: int8 weights, activations quantized at run time (DynamicQuantizeLinear, MatMulInteger, ConvInteger); no calibration." };
        var layers = new Option<string?>("--layers") { Description = "--dynamic: only layers whose node or weight name matches one of these comma-separated globs." };
        var args = new ModelArguments("Measure output drift (and accuracy with --labels) on this data.");
        var command = new Command("quantize", "Post-training quantization: static (calibrated; QDQ in ONNX Runtime's layout, or QOperator) or --dynamic.")
        {
            output, calibration, calibrationSamples, format, perChannel, weights, activations, method, percentile, dynamic, layers,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var loaded = args.Load(parse);
            var before = loaded.Model;
            var after = before.Clone();
            bool int4 = parse.GetValue(weights) == "int4";
            if (parse.GetValue(dynamic))
            {
                if (parse.GetValue(calibration) is not null) throw new ToolException("--dynamic takes no --calibration (activations are quantized at run time)");
                if (int4 || parse.GetValue(format) is not null || parse.GetValue(activations) != "uint8")
                    throw new ToolException("--dynamic quantizes weights to int8 and activations to uint8 with standard integer ops; --weights int4, --activations int8 and --format do not apply");
                int count = DynamicQuantizer.Quantize(after, parse.GetValue(perChannel), new LayerSelection(parse.GetValue(layers)));
                if (count == 0) throw new ToolException($"{before.Name} has no Conv, Gemm or MatMul layer with float weights to quantize");
                ctx.Line($"{count} layers quantized dynamically (int8 weights, uint8 activations at run time)");
            }
            else
            {
                string calibrationPath = parse.GetValue(calibration) ?? throw new ToolException("static quantization needs --calibration DATA (or use --dynamic)");
                if (parse.GetValue(layers) is not null) throw new ToolException("--layers applies to --dynamic only");
                bool qoperator = parse.GetValue(format) == "qoperator";
                if (int4 && qoperator) throw new ToolException("--weights int4 needs --format qdq (QLinear ops take 8-bit weights)");
                var options = new QuantizeOptions
                {
                    PerChannel = parse.GetValue(perChannel),
                    Int4Weights = int4,
                    SignedActivations = parse.GetValue(activations) == "int8",
                    Method = parse.GetValue(method) switch { "percentile" => CalibrationMethod.Percentile, "entropy" => CalibrationMethod.Entropy, _ => CalibrationMethod.MinMax },
                    Percentile = parse.GetValue(percentile),
                };
                var calibrationSet = args.Data.LoadPath(parse, calibrationPath, loaded.Input, parse.GetValue(calibrationSamples) ?? int.MaxValue);
                StaticQuantizer.Quantize(ctx, after, loaded.Input, calibrationSet, options, loaded.InputShape);
                if (qoperator) ctx.Line($"{QOperatorConverter.Convert(after)} groups turned into QOperator ops");
            }
            Rewrite.Finish(ctx, loaded, after, parse.GetValue(output)!);
        }));
        return command;
    }
}
