using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Google.Protobuf;
using ModelCompiler.Diagnostics;
using ModelCompiler.Graph;
using ModelCompiler.Onnx.Proto;
using Attribute = ModelCompiler.Graph.Attribute;

namespace ModelCompiler.Onnx;

/// <summary>
/// Turns the bytes of an .onnx file into a <see cref="ModelGraph"/>: initializers and <c>Constant</c> nodes
/// become constant values, inputs that have an initializer (IR &lt; 4 models list weights as inputs) are
/// treated as weights, nodes are put in topological order and given names where the model has none.
/// Every problem found is reported; nothing here throws to the caller.
/// </summary>
internal static class OnnxReader
{
    /// <param name="external">Where external tensor data may be read from (the model's folder); none when null.</param>
    public static ModelGraph? Read(byte[] bytes, List<CompilerDiagnostic> diagnostics, ExternalDataSource? external = null)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MalformedModel, e.Message));
            return null;
        }
        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MalformedModel,
                bytes.Length == 0 ? "the file is empty" : "it contains no graph (is this an .onnx model?)"));
            return null;
        }

        var graph = new ModelGraph
        {
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            GraphName = model.Graph.Name,
            DocString = model.DocString,
        };
        foreach (var o in model.OpsetImport)
        {
            string domain = o.Domain == "ai.onnx" ? "" : o.Domain;
            graph.Opsets[domain] = (int)Math.Max(graph.Opsets.TryGetValue(domain, out int prev) ? prev : 0, o.Version);
        }
        if (!graph.Opsets.ContainsKey("")) graph.Opsets[""] = model.OpsetImport.Count == 0 ? 1 : graph.DefaultOpset;

        if (model.Graph.Output.Count == 0)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, "the graph has no outputs, so there is nothing to compute"));
            return null;
        }
        if (model.Graph.Node.Count > Limits.MaxNodes)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded,
                $"the graph has {model.Graph.Node.Count} nodes; a model may have at most {Limits.MaxNodes}"));
            return null;
        }

        int before = diagnostics.Count;
        ReadGraph(model.Graph, graph, diagnostics, external ?? ExternalDataSource.None);
        return diagnostics.Count > before && diagnostics.Skip(before).Any(d => d.Severity == Severity.Error) ? null : graph;
    }

    private static void ReadGraph(GraphProto g, ModelGraph graph, List<CompilerDiagnostic> diagnostics, ExternalDataSource external) =>
        ReadGraph(g, graph, diagnostics, external, new Scope(graph, owner: null, outer: null));

    /// <summary>
    /// Reads one graph: the model's, or a subgraph (an If branch, a Loop or Scan body) in <paramref name="scope"/>,
    /// where names the subgraph does not define resolve to enclosing graphs' values (captured, see <see cref="Scope"/>).
    /// </summary>
    private static void ReadGraph(GraphProto g, ModelGraph graph, List<CompilerDiagnostic> diagnostics, ExternalDataSource external, Scope scope)
    {
        long weightBytes = 0;
        Tensor? Guarded(string what, Func<Tensor?> read)
        {
            try
            {
                var t = read();
                // The weight budget is checked as tensors are read, so that a model cannot make the compiler hold more.
                if (t is not null && (weightBytes += t.Raw.LongLength) > Limits.MaxWeightBytes)
                    throw new LimitExceeded($"{what} brings the model's constants to {weightBytes} bytes; the weights of a model may take at most {Limits.MaxWeightBytes} (1 GiB)");
                return t;
            }
            catch (ExternalDataSource.Refused e)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.ExternalData, e.Tensor, e.Location, e.Reason));
            }
            catch (LimitExceeded e)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded, $"{what}: {e.Message}"));
            }
            catch (ModelError e)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.MalformedModel, $"{what}: {e.Message}"));
            }
            return null;
        }
        Tensor? ReadTensor(TensorProto t, string what) => Guarded(what, () => TensorReader.Read(t, external));

        // Constants that could not be read are reported once; the nodes using them are not reported again as undefined.
        var unreadable = new HashSet<string>(StringComparer.Ordinal);
        bool isSubgraph = scope.Outer is not null;
        foreach (var init in g.Initializer)
        {
            scope.Defined.Add(init.Name);
            var t = ReadTensor(init, $"initializer '{init.Name}'");
            if (t is null) { unreadable.Add(init.Name); continue; }
            var v = graph.GetOrAddValue(init.Name);
            v.Constant = t; v.Type = t.Type; v.Shape = t.Shape;
        }
        foreach (var sparse in g.SparseInitializer)
        {
            scope.Defined.Add(sparse.Values?.Name ?? "");
            var t = Guarded($"sparse initializer '{sparse.Values?.Name}'", () => ReadSparse(sparse, ReadTensor));
            if (t is null) { unreadable.Add(sparse.Values?.Name ?? ""); continue; }
            var v = graph.GetOrAddValue(sparse.Values?.Name ?? "");
            v.Constant = t; v.Type = t.Type; v.Shape = t.Shape;
        }

        foreach (var input in g.Input)
        {
            scope.Defined.Add(input.Name);
            var v = graph.GetOrAddValue(input.Name);
            if (v.IsConstant) continue; // an IR < 4 model listing its weights as inputs
            // A subgraph's sequence or optional input is left untyped here: the op owning it reports it, and
            // the ONNX Runtime backend, which reads models too, runs such graphs.
            ApplyDeclaredType(v, input, diagnostics, reportNonTensor: !isSubgraph);
            graph.Inputs.Add(v);
        }
        graph.FormalInputCount = graph.Inputs.Count;
        foreach (var np in g.Node) scope.Defined.UnionWith(np.Output.Where(o => o.Length > 0));

        var nodes = new List<Node>();
        var protos = new List<NodeProto>();
        int index = 0;
        foreach (var np in g.Node)
        {
            string name = string.IsNullOrEmpty(np.Name) ? $"{np.OpType}_{index}" : np.Name;
            index++;
            string domain = np.Domain == "ai.onnx" ? "" : np.Domain;
            if (domain.Length == 0 && np.OpType == "Constant" && np.Output.Count == 1)
            {
                var t = Guarded($"Constant '{name}'", () => ReadConstantNode(np, name, ReadTensor, diagnostics));
                if (t is null) { unreadable.Add(np.Output[0]); continue; }
                var v = graph.GetOrAddValue(np.Output[0]);
                v.Constant = t; v.Type = t.Type; v.Shape = t.Shape;
                continue;
            }

            var node = new Node(name, np.OpType, domain)
            {
                Opset = graph.Opsets.TryGetValue(domain, out int opset) ? opset : 1,
            };
            foreach (var a in np.Attribute)
            {
                var attr = ReadAttribute(a, ReadTensor);
                if (attr is not null) node.Attributes[attr.Name] = attr;
            }
            foreach (string o in np.Output) node.Outputs.Add(o.Length == 0 ? null : graph.GetOrAddValue(o));
            nodes.Add(node);
            protos.Add(np);
        }
        // Inputs once every name of this graph is known; then subgraphs, whose outer reads become extra inputs.
        for (int k = 0; k < nodes.Count; k++)
        {
            var node = nodes[k];
            foreach (string i in protos[k].Input) node.Inputs.Add(i.Length == 0 ? null : scope.Resolve(i));
            foreach (var a in protos[k].Attribute)
            {
                if (a.G is null || node.Attributes.TryGetValue(a.Name, out var read) && read.Kind != AttributeKind.Graph) continue;
                var sub = new ModelGraph { GraphName = a.G.Name, IrVersion = graph.IrVersion, DocString = a.G.DocString };
                foreach (var o in graph.Opsets) sub.Opsets[o.Key] = o.Value;
                ReadGraph(a.G, sub, diagnostics, external, new Scope(sub, node, scope));
                node.Attributes[a.Name] = new Attribute(a.Name, AttributeKind.Graph) { Graph = sub };
            }
        }

        foreach (var output in g.Output)
        {
            var v = scope.Resolve(output.Name);
            if (!v.IsConstant && v.Type == DataType.Undefined) ApplyDeclaredType(v, output, diagnostics, isOutput: true, reportNonTensor: !isSubgraph);
            // An output that is also a graph input keeps the input's names when the two declarations disagree in rank
            // (fuzz seed 20261205 case 8357: the input's names were replaced by the output's shorter list).
            else if (output.Type?.TensorType?.Shape is { } s && (v.Shape is null || v.Shape.Length == s.Dim.Count)) v.DeclaredDims = s.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null).ToArray();
            graph.Outputs.Add(v);
        }

        TopologicalSort(nodes, graph, diagnostics, unreadable);
        graph.RebuildLinks();
    }

    /// <summary>
    /// Where names resolve while a graph is read. A subgraph may read any value of an enclosing graph by name
    /// (ONNX's outer-scope references); such a read becomes a value of the subgraph (an extra input of it) bound to
    /// an extra input of the node owning the subgraph, so that every graph stays closed: ordering, liveness and
    /// dead-node removal in the outer graph see the read, and the subgraph's own passes see an input.
    /// </summary>
    private sealed class Scope
    {
        public Scope(ModelGraph graph, Node? owner, Scope? outer)
        {
            Graph = graph;
            Owner = owner;
            Outer = outer;
        }

        public ModelGraph Graph { get; }
        public Node? Owner { get; }
        public Scope? Outer { get; }

        /// <summary>Names this graph defines: initializers, inputs, node outputs.</summary>
        public HashSet<string> Defined { get; } = new(StringComparer.Ordinal);

        public bool Knows(string name) => Defined.Contains(name) || (Outer?.Knows(name) ?? false);

        public Value Resolve(string name)
        {
            if (Defined.Contains(name) || Outer is null || Owner is null || !Outer.Knows(name)) return Graph.GetOrAddValue(name);
            var captured = Graph.Captures.FirstOrDefault(c => c.Inner.Name == name);
            if (captured is not null) return captured.Inner;
            var outerValue = Outer.Resolve(name);
            var inner = Graph.GetOrAddValue(name);
            Owner.Inputs.Add(outerValue);
            Graph.Captures.Add(new Capture(inner, Owner.Inputs.Count - 1));
            Graph.Inputs.Add(inner);
            return inner;
        }
    }

    private static void ApplyDeclaredType(Value v, ValueInfoProto info, List<CompilerDiagnostic> diagnostics, bool isOutput = false, bool reportNonTensor = true)
    {
        var tt = info.Type?.TensorType;
        if (tt is null)
        {
            if (reportNonTensor && info.Type is not null && info.Type.ValueCase != TypeProto.ValueOneofCase.None)
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.UnsupportedType,
                    $"{(isOutput ? "Output" : "Input")} '{info.Name}'", info.Type.ValueCase.ToString(), "; only tensors are supported"));
            return;
        }
        v.Type = (DataType)tt.ElemType;
        if (tt.Shape is null) return; // unknown rank
        var dims = new int[tt.Shape.Dim.Count];
        var names = new string?[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = tt.Shape.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > int.MaxValue)
            {
                // An output's declared shape is only a fallback for inference; an input's is what Predict takes.
                if (isOutput) { dims[i] = -1; continue; }
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.LimitExceeded,
                    $"input '{info.Name}' declares a dimension of {d.DimValue}; a dimension may be at most {int.MaxValue}"));
                return;
            }
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0)
                dims[i] = (int)d.DimValue;
            else
            {
                dims[i] = -1;
                names[i] = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null;
                if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue == 0) dims[i] = 0;
            }
        }
        v.Shape = dims;
        v.DeclaredDims = names;
    }

    private static Tensor? ReadConstantNode(NodeProto np, string name, Func<TensorProto, string, Tensor?> readTensor, List<CompilerDiagnostic> diagnostics)
    {
        var a = np.Attribute.FirstOrDefault();
        if (a is null || np.Attribute.Count != 1)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, name, "Constant", "a Constant node needs exactly one value attribute"));
            return null;
        }
        switch (a.Name)
        {
            case "value_float" or "value_floats" or "value_int" or "value_ints" when !KindMatches(a):
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, name, "Constant",
                    $"attribute '{a.Name}' should be {(a.Name.StartsWith("value_float", StringComparison.Ordinal) ? "a float" : "an int")}{(a.Name.EndsWith("s", StringComparison.Ordinal) ? " list" : "")} but is {a.Type.ToString().ToLowerInvariant()}"));
                return null;
            case "value": return a.T is null ? null : readTensor(a.T, $"Constant '{name}'");
            case "value_float": return Tensor.FromDoubles(DataType.Float, Array.Empty<int>(), new double[] { a.F });
            case "value_floats": return Tensor.FromDoubles(DataType.Float, new[] { a.Floats.Count }, a.Floats.Select(f => (double)f).ToArray());
            case "value_int": return Tensor.FromLongs(DataType.Int64, Array.Empty<int>(), new[] { a.I });
            case "value_ints": return Tensor.FromLongs(DataType.Int64, new[] { a.Ints.Count }, a.Ints.ToArray());
            case "sparse_value": return a.SparseTensor is null ? null : ReadSparse(a.SparseTensor, readTensor);
            default:
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidNode, name, "Constant",
                    $"attribute '{a.Name}' holds strings; only numeric constants are supported"));
                return null;
        }
    }

    /// <summary>Whether a Constant's value_* attribute holds the kind its name says (IR 1 models leave the kind out).</summary>
    private static bool KindMatches(AttributeProto a) => a.Type == AttributeProto.Types.AttributeType.Undefined || a.Type == a.Name switch
    {
        "value_float" => AttributeProto.Types.AttributeType.Float,
        "value_floats" => AttributeProto.Types.AttributeType.Floats,
        "value_int" => AttributeProto.Types.AttributeType.Int,
        _ => AttributeProto.Types.AttributeType.Ints,
    };

    private static Tensor? ReadSparse(SparseTensorProto s, Func<TensorProto, string, Tensor?> readTensor)
    {
        if (s.Values is null || s.Indices is null) return null;
        var values = readTensor(s.Values, "sparse values");
        var indices = readTensor(s.Indices, "sparse indices");
        if (values is null || indices is null) return null;
        var dense = new TensorProto { Name = s.Values.Name, DataType = s.Values.DataType };
        dense.Dims.AddRange(s.Dims);
        int[] shape = TensorReader.Shape(dense); // dims and the dense size checked against the limits before allocating
        long count = ShapeText.Product(shape);
        int esize = values.Type.ElementSize();
        if (values.Type.IsSubByte()) throw new ModelError("sparse tensors of 4-bit types are not supported");
        var raw = new byte[values.Type.ByteSize(count)];
        long nnz = values.ElementCount;
        int[] strides = ShapeText.Strides(shape);
        for (long k = 0; k < nnz; k++)
        {
            long flat;
            if (indices.Rank == 1) flat = indices.GetLong(k);
            else
            {
                flat = 0;
                for (int d = 0; d < shape.Length; d++) flat += indices.GetLong(k * shape.Length + d) * strides[d];
            }
            if (flat < 0 || flat >= count) throw new ModelError("sparse tensor index out of range");
            Buffer.BlockCopy(values.Raw, (int)(k * esize), raw, (int)(flat * esize), esize);
        }
        return new Tensor(values.Type, shape, raw);
    }

    private static Attribute? ReadAttribute(AttributeProto a, Func<TensorProto, string, Tensor?> readTensor)
    {
        var type = a.Type;
        if (type == AttributeProto.Types.AttributeType.Undefined)
        {
            // IR 1 models leave the discriminator out; infer it from the field that is set.
            type = a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
                : a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
                : a.Strings.Count > 0 ? AttributeProto.Types.AttributeType.Strings
                : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
                : a.G is not null ? AttributeProto.Types.AttributeType.Graph
                : !a.S.IsEmpty ? AttributeProto.Types.AttributeType.String
                : a.F != 0 ? AttributeProto.Types.AttributeType.Float
                : AttributeProto.Types.AttributeType.Int;
        }
        return type switch
        {
            AttributeProto.Types.AttributeType.Float => new Attribute(a.Name, AttributeKind.Float) { F = a.F },
            AttributeProto.Types.AttributeType.Int => new Attribute(a.Name, AttributeKind.Int) { I = a.I },
            AttributeProto.Types.AttributeType.String => new Attribute(a.Name, AttributeKind.String) { S = a.S.ToString(Encoding.UTF8) },
            AttributeProto.Types.AttributeType.Tensor => new Attribute(a.Name, AttributeKind.Tensor) { T = a.T is null ? null : readTensor(a.T, $"attribute '{a.Name}'") },
            AttributeProto.Types.AttributeType.Floats => new Attribute(a.Name, AttributeKind.Floats) { Floats = a.Floats.ToArray() },
            AttributeProto.Types.AttributeType.Ints => new Attribute(a.Name, AttributeKind.Ints) { Ints = a.Ints.ToArray() },
            AttributeProto.Types.AttributeType.Strings => new Attribute(a.Name, AttributeKind.Strings) { Strings = a.Strings.Select(s => s.ToString(Encoding.UTF8)).ToArray() },
            AttributeProto.Types.AttributeType.Graph => new Attribute(a.Name, AttributeKind.Graph),
            AttributeProto.Types.AttributeType.Graphs => new Attribute(a.Name, AttributeKind.Graphs),
            AttributeProto.Types.AttributeType.Tensors => new Attribute(a.Name, AttributeKind.Tensors),
            _ => new Attribute(a.Name, AttributeKind.Other),
        };
    }

    /// <summary>
    /// ONNX requires topological order, but not every exporter obeys; a stable Kahn sort keeps the file's
    /// order where it is valid. A value nobody produces (and that is not an input or constant) is an error.
    /// </summary>
    private static void TopologicalSort(List<Node> nodes, ModelGraph graph, List<CompilerDiagnostic> diagnostics, HashSet<string> unreadable)
    {
        var producer = new Dictionary<Value, Node>();
        foreach (var n in nodes)
            foreach (var o in n.Outputs)
                if (o is not null)
                {
                    if (producer.ContainsKey(o) || o.IsConstant || graph.Inputs.Contains(o))
                    {
                        diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph, $"value '{o.Name}' is assigned more than once (by node '{n.Name}')"));
                        return;
                    }
                    producer[o] = n;
                }

        var available = new HashSet<Value>(graph.Values.Values.Where(v => v.IsConstant));
        available.UnionWith(graph.Inputs);
        var missing = new List<string>(unreadable); // already reported: counted as defined, never listed
        foreach (var n in nodes)
            foreach (var i in n.Inputs)
                if (i is not null && !available.Contains(i) && !producer.ContainsKey(i) && !missing.Contains(i.Name))
                    missing.Add(i.Name);
        foreach (var o in graph.Outputs)
            if (!available.Contains(o) && !producer.ContainsKey(o) && !missing.Contains(o.Name))
                missing.Add(o.Name);
        missing.RemoveAll(unreadable.Contains);
        if (unreadable.Count > 0) return; // the graph is not compiled anyway; its other errors were reported
        if (missing.Count > 0)
        {
            diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph,
                $"no node, input or initializer defines {string.Join(", ", missing.Take(10).Select(m => $"'{m}'"))}{(missing.Count > 10 ? $" and {missing.Count - 10} more" : "")}"));
            return;
        }

        var done = new HashSet<Node>();
        var pending = new List<Node>(nodes);
        while (pending.Count > 0)
        {
            int progressed = 0;
            for (int k = 0; k < pending.Count; k++)
            {
                var n = pending[k];
                if (n.Inputs.All(i => i is null || available.Contains(i)))
                {
                    graph.Nodes.Add(n);
                    foreach (var o in n.Outputs) if (o is not null) available.Add(o);
                    done.Add(n);
                    pending.RemoveAt(k);
                    k--;
                    progressed++;
                }
            }
            if (progressed == 0)
            {
                diagnostics.Add(CompilerDiagnostic.Create(DiagnosticDescriptors.InvalidGraph,
                    $"the graph has a cycle through node '{pending[0].Name}'"));
                return;
            }
        }
    }
}
