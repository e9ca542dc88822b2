using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using ModelCompiler.Cli.Commands;
using ModelCompiler.Compilation;

namespace ModelCompiler.Cli;

/// <summary>Entry point of <c>modelc</c>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .onnx file." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the weight blob.", Required = true };
        var className = new Option<string?>("--class-name") { Description = "ClassName metadata of the AdditionalFiles item." };
        var ns = new Option<string?>("--namespace") { Description = "Namespace metadata of the AdditionalFiles item." };
        var rootNamespace = new Option<string?>("--root-namespace") { Description = "The project's RootNamespace." };
        var inputShape = new Option<string?>("--input-shape") { Description = "InputShape metadata, e.g. 1,3,224,224." };
        var resource = new Option<string?>("--resource") { Description = "Logical name of the weights resource (the build targets pass it; by hand it defaults to ModelCompiler/<file>.weights)." };
        var threads = new Option<string?>("--threads") { Description = "Threads metadata: threads one Predict may use (default 1)." };

        var weights = new Command("weights", "Compile a model and write the weight blob that its generated code reads.")
        {
            model, output, className, ns, rootNamespace, inputShape, resource, threads,
        };
        weights.SetAction(parse => WriteWeights(
            parse.GetValue(model)!, parse.GetValue(output)!,
            new ModelOptions
            {
                FileName = parse.GetValue(model)!.Name,
                ClassName = ModelOptions.Normalize(parse.GetValue(className)),
                Namespace = ModelOptions.Normalize(parse.GetValue(ns)),
                RootNamespace = ModelOptions.Normalize(parse.GetValue(rootNamespace)),
                InputShape = ModelOptions.Normalize(parse.GetValue(inputShape)),
                WeightsResource = ModelOptions.Normalize(parse.GetValue(resource)) ?? "ModelCompiler/" + parse.GetValue(model)!.Name + ".weights",
                Threads = ModelOptions.Normalize(parse.GetValue(threads)),
            }));

        var inspectModel = new Argument<FileInfo>("model") { Description = "The .onnx file." };
        var inspect = new Command("inspect", "List a model's opsets, inputs, outputs and nodes (op, name, inputs, outputs, attributes).")
        {
            inspectModel,
        };
        inspect.SetAction(parse => Inspect(parse.GetValue(inspectModel)!));

        var root = new RootCommand("ModelCompiler command-line tool.") { weights, GenerateCommand.Create(), inspect, FloatCopyCommand.Create() };
        return root.Parse(args).Invoke();
    }

    private static int WriteWeights(FileInfo model, FileInfo output, ModelOptions options)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(model.FullName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The generator reports unreadable models (MC0001); an empty blob keeps the build going to that error.
            WritePlaceholder(output);
            Console.WriteLine($"modelc: cannot read {model.Name}: {e.Message}");
            return 0;
        }

        CompileResult result;
        try { result = ModelCompilation.Compile(bytes, options); }
        catch (Exception e)
        {
            WritePlaceholder(output);
            Console.WriteLine($"modelc: {model.Name} failed to compile ({e.GetType().Name}: {e.Message}); the generator reports it.");
            return 0;
        }
        if (!result.Success)
        {
            WritePlaceholder(output);
            // Inside a build the generator reports these on the .onnx file; run by hand, say what they are.
            Console.WriteLine($"modelc: {model.Name} has errors; the build reports them:");
            foreach (var d in result.Diagnostics) Console.WriteLine("  " + d);
            return 0;
        }

        Directory.CreateDirectory(output.DirectoryName!);
        string temp = output.FullName + ".tmp";
        using (var stream = File.Create(temp)) result.WriteWeights!(stream);
        File.Move(temp, output.FullName, overwrite: true);
        Console.WriteLine($"modelc: {model.Name}: {result.Layers} layers, {result.WeightBytes} bytes of weights -> {output.Name}");
        return 0;
    }

    private static int Inspect(FileInfo model)
    {
        var proto = ModelCompiler.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(model.FullName));
        Console.WriteLine($"{model.Name}: IR {proto.IrVersion}, producer {proto.ProducerName} {proto.ProducerVersion}, opsets "
            + string.Join(", ", proto.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}")));
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        string Dims(ModelCompiler.Onnx.Proto.ValueInfoProto v) => v.Type?.TensorType?.Shape is { } s
            ? string.Join("x", s.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            : "?";
        foreach (var i in proto.Graph.Input.Where(i => !initializers.Contains(i.Name)))
            Console.WriteLine($"  input  {i.Name}: {(ModelCompiler.Graph.DataType)(i.Type?.TensorType?.ElemType ?? 0)} [{Dims(i)}]");
        foreach (var o in proto.Graph.Output)
            Console.WriteLine($"  output {o.Name}: {(ModelCompiler.Graph.DataType)(o.Type?.TensorType?.ElemType ?? 0)} [{Dims(o)}]");
        Console.WriteLine($"  {proto.Graph.Initializer.Count} initializers, {proto.Graph.Node.Count} nodes");
        foreach (var n in proto.Graph.Node)
        {
            string attrs = string.Join(" ", n.Attribute.Select(a => a.Name + "=" + (a.Ints.Count > 0 ? "[" + string.Join(",", a.Ints) + "]"
                : a.Floats.Count > 0 ? "[" + string.Join(",", a.Floats) + "]" : a.T is not null ? "<tensor>" : a.G is not null ? "<graph>"
                : !a.S.IsEmpty ? a.S.ToStringUtf8() : a.Type == ModelCompiler.Onnx.Proto.AttributeProto.Types.AttributeType.Float ? a.F.ToString(System.Globalization.CultureInfo.InvariantCulture) : a.I.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            Console.WriteLine($"  {(n.Domain.Length > 0 ? n.Domain + ":" : "")}{n.OpType} '{n.Name}' ({string.Join(", ", n.Input)}) -> ({string.Join(", ", n.Output)}) {attrs}");
        }
        return 0;
    }

    private static void WritePlaceholder(FileInfo output)
    {
        Directory.CreateDirectory(output.DirectoryName!);
        File.WriteAllBytes(output.FullName, Array.Empty<byte>());
    }
}
