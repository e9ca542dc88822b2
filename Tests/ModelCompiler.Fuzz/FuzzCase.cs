using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelCompiler.Compilation;
using ModelCompiler.Fuzz.Mutations;
using ModelCompiler.Onnx.Proto;

namespace ModelCompiler.Fuzz;

/// <summary>One mutated model and the options it is compiled with; (campaign seed, index) names it exactly.</summary>
internal sealed record FuzzCase(long Index, SeedModel Seed, string Kind, string Description, byte[] Bytes, string? InputShape, string? Threads)
{
    /// <summary>The options the generator would pass for this model as an AdditionalFiles item with the case's metadata.</summary>
    public ModelOptions Options => new()
    {
        FileName = System.IO.Path.GetFileName(Seed.Name),
        ClassName = "FuzzModel",
        Namespace = "Fuzz",
        InputShape = ModelOptions.Normalize(InputShape),
        Threads = Threads,
        WeightsResource = "ModelCompiler/Fuzz/FuzzModel/model.onnx.weights",
    };

    /// <summary>
    /// Case <paramref name="index"/> of campaign <paramref name="seed"/>: a seed model, a mutation kind from
    /// <paramref name="kinds"/> (another one when it does not apply to that model), applied one to three times.
    /// Dynamic input dims are pinned to 1 (as a user would with InputShape) unless the mutation set InputShape
    /// itself, so that mutations reach the passes after input pinning.
    /// </summary>
    public static FuzzCase Create(ulong seed, long index, Corpus corpus, IReadOnlyList<Mutation> kinds)
    {
        var rng = Rng.ForCase(seed, index);
        var model = corpus.Pick(rng);
        var subject = new Subject(model.ReadBytes()) { SeedFileName = System.IO.Path.GetFileName(model.Name) };
        int first = rng.Below(kinds.Count);
        Mutation? applied = null;
        for (int k = 0; k < kinds.Count && applied is null; k++)
        {
            var kind = kinds[(first + k) % kinds.Count];
            if (kind.Apply(subject, rng)) applied = kind;
        }
        if (applied is not null && rng.Chance(0.3))
            for (int extra = rng.Between(1, 2); extra > 0; extra--) applied.Apply(subject, rng);

        byte[] bytes = subject.Bytes;
        string? inputShape = subject.InputShapeFixed ? subject.InputShape : PinDynamicInputs(bytes);
        string? threads = rng.Chance(0.2) ? "2" : null;
        string description = applied is null ? "no mutation applies (unmodified seed)" : string.Join("; ", subject.Log);
        return new FuzzCase(index, model, applied?.Kind ?? "none", description, bytes, inputShape, threads);
    }

    /// <summary>"1,3,224,224" (or "a:1,4 b:1,2") with every dynamic dim set to 1; null when every input is static or the model does not parse.</summary>
    private static string? PinDynamicInputs(byte[] bytes)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (Google.Protobuf.InvalidProtocolBufferException) { return null; }
        if (model.Graph is null) return null;
        var inputs = ModelParts.RealInputs(model.Graph).Where(i => i.Type?.TensorType?.Shape is not null).ToList();
        var dims = inputs.Select(i => i.Type.TensorType.Shape.Dim
            .Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : 1L)
            .ToArray()).ToList();
        bool anyDynamic = inputs.Any(i => i.Type.TensorType.Shape.Dim.Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue));
        if (!anyDynamic) return null;
        string Text(long[] d) => string.Join(",", d.Select(x => x.ToString(CultureInfo.InvariantCulture)));
        if (inputs.Count == 1 && ModelParts.RealInputs(model.Graph).Count == 1) return Text(dims[0]);
        if (inputs.Any(i => i.Name.Length == 0 || i.Name.IndexOfAny(new[] { ' ', ':', '|', '\t', ',' }) >= 0)) return null;
        return string.Join(" ", inputs.Select((i, k) => i.Name + ":" + Text(dims[k])));
    }
}
