using System.CommandLine;
using ModelCompiler.Tool.Onnx;
using ModelCompiler.Tool.Transforms;

namespace ModelCompiler.Tool.Commands;

/// <summary><c>modelc fp16</c>: float16 weights with Cast to float32 (see <see cref="Fp16Weights"/>).</summary>
internal static class Fp16Command
{
    public static Command Create(ToolContext ctx)
    {
        var output = Common.Out();
        var args = new ModelArguments("Measure output drift on this data (.npy, raw float32 .bin or an image folder).");
        var command = new Command("fp16", "Store float32 weights as float16 (each read through a Cast to float32); compute stays float32.")
        {
            output,
        };
        args.AddTo(command);
        command.SetAction(parse => ctx.Guard(() =>
        {
            var loaded = args.Load(parse);
            var before = loaded.Model;
            var after = before.Clone();
            var result = Fp16Weights.Convert(after);
            if (result.Converted == 0) throw new ToolException($"{before.Name} has no float32 weights to convert");
            ctx.Line($"{result.Converted} tensors ({Format.Count(result.Elements)} values) stored as float16; largest relative rounding {Format.Number(result.MaxRelativeError, "0.000e+0")}"
                + (result.KeptFloat32 > 0 ? $"; {result.KeptFloat32} kept float32 (values beyond float16's range)" : ""));
            Rewrite.Finish(ctx, loaded, after, parse.GetValue(output)!);
        }));
        return command;
    }
}
