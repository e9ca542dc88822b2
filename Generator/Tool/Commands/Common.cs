using System.CommandLine;
using System.Linq;
using ModelCompiler.Graph;
using ModelCompiler.Tool.Data;
using ModelCompiler.Tool.Onnx;

namespace ModelCompiler.Tool.Commands;

/// <summary>Arguments and options several commands share, with one description each.</summary>
internal static class Common
{
    public static Argument<string> Model(string name = "model", string description = "The .onnx model file.") => new(name) { Description = description };

    public static Option<string> Out() => new("--out", "-o") { Description = "Where to write the new .onnx model.", Required = true };

    public static Option<string?> InputShape() => new("--input-shape")
    {
        Description = "Pin dynamic input dimensions, as the InputShape metadata does: 1,3,224,224 (or name:1,3,224,224).",
    };

    /// <summary>The model's one float input, with its shape pinned (by <paramref name="inputShape"/> or as declared).</summary>
    public static ModelInput InputOf(OnnxModel model, string? inputShape)
    {
        var inputs = model.RealInputs;
        if (inputs.Count != 1)
            throw new ToolException($"{model.Name} has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); modelc's data options feed models with one input");
        var values = GraphShapes.Infer(model, inputShape);
        var v = values[inputs[0].Name];
        if (v.Type != DataType.Float)
            throw new ToolException($"{model.Name}'s input '{v.Name}' is {v.Type.OnnxName()}; modelc feeds float32 inputs");
        return new ModelInput(v.Name, v.Shape!);
    }
}

/// <summary>A model loaded with its pinned input, and the data (and labels) given with it.</summary>
internal sealed record LoadedModel(OnnxModel Model, string? InputShape, ModelInput Input, DataSet? Data, int[]? Labels);

/// <summary>The model argument, --input-shape and the data options that the model commands share, and loading them.</summary>
internal sealed class ModelArguments
{
    public ModelArguments(string dataDescription, bool labels = true) => Data = new DataOptions(dataDescription, labels);

    public Argument<string> Model { get; } = Common.Model();
    public Option<string?> Shape { get; } = Common.InputShape();
    public DataOptions Data { get; }

    /// <summary>Adds the model argument, --input-shape and the data options to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        command.Add(Model);
        command.Add(Shape);
        Data.AddTo(command);
        return command;
    }

    public LoadedModel Load(ParseResult parse)
    {
        var model = OnnxModel.Load(parse.GetValue(Model)!);
        string? inputShape = parse.GetValue(Shape);
        var input = Common.InputOf(model, inputShape);
        var (data, labels) = Data.Load(parse, input);
        return new LoadedModel(model, inputShape, input, data, labels);
    }
}

/// <summary>--data and what describes it: --labels, --max-samples and the image options.</summary>
internal sealed class DataOptions
{
    public DataOptions(string dataDescription, bool labels = true, bool required = false)
    {
        Data = new Option<string?>("--data") { Description = dataDescription, Required = required };
        Labels = labels ? new Option<string?>("--labels") { Description = "Integer class labels for top-1 accuracy, one per sample: .npy, or raw int32 .bin." } : null;
    }

    public Option<string?> Data { get; }
    public Option<string?>? Labels { get; }
    public Option<int?> MaxSamples { get; } = new("--max-samples") { Description = "Use at most this many samples of the data." };
    public Option<string?> Size { get; } = new("--size") { Description = "Image folders: WIDTHxHEIGHT the images are resized to (default: the input's)." };
    public Option<string?> Mean { get; } = new("--mean") { Description = "Image folders: per-channel mean subtracted after scaling pixels to [0,1] (e.g. 0.485,0.456,0.406)." };
    public Option<string?> Std { get; } = new("--std") { Description = "Image folders: per-channel standard deviation divided by (e.g. 0.229,0.224,0.225)." };
    public Option<string> Channels { get; } = new("--channels") { Description = "Image folders: channel order rgb, bgr or gray.", DefaultValueFactory = _ => "rgb" };

    public void AddTo(Command command)
    {
        command.Add(Data);
        if (Labels is not null) command.Add(Labels);
        command.Add(MaxSamples);
        command.Add(Size);
        command.Add(Mean);
        command.Add(Std);
        Channels.AcceptOnlyFromAmong("rgb", "bgr", "gray");
        command.Add(Channels);
    }

    /// <summary>The data set (null when --data is absent) and its labels (null when --labels is absent).</summary>
    public (DataSet? Data, int[]? Labels) Load(ParseResult parse, ModelInput input)
    {
        string? path = parse.GetValue(Data);
        if (path is null)
        {
            if (Labels is not null && parse.GetValue(Labels) is not null) throw new ToolException("--labels needs --data");
            return (null, null);
        }
        var data = LoadPath(parse, path, input);
        int[]? labels = Labels is not null && parse.GetValue(Labels) is { } l ? DataSet.LoadLabels(l, data.Count) : null;
        return (data, labels);
    }

    /// <summary>Another data path (e.g. --calibration) read with the same image options; at most <paramref name="maxSamples"/> samples (default: --max-samples).</summary>
    public DataSet LoadPath(ParseResult parse, string path, ModelInput input, int? maxSamples = null)
    {
        int max = maxSamples ?? parse.GetValue(MaxSamples) ?? int.MaxValue;
        if (max <= 0) throw new ToolException("the number of samples to use must be at least 1");
        var image = new ImageOptions
        {
            Size = ImageOptions.ParseSize(parse.GetValue(Size)),
            Mean = ImageOptions.ParseFloats(parse.GetValue(Mean), "--mean", new[] { 0f }),
            Std = ImageOptions.ParseFloats(parse.GetValue(Std), "--std", new[] { 1f }),
            Channels = parse.GetValue(Channels) ?? "rgb",
        };
        return DataSet.Load(path, input, image, max);
    }
}
