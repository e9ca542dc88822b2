using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.ML.OnnxRuntime;

namespace ModelCompiler.OnnxRuntime;

/// <summary>
/// One thread's I/O for one model: a pinned, 64-byte aligned buffer per graph input and output, an
/// <see cref="OrtValue"/> over each (ONNX Runtime reads and writes them in place) and an <see cref="OrtIoBinding"/>
/// that binds them once. A <c>Predict</c> call copies the caller's inputs in, runs the binding and copies the
/// outputs out: nothing is allocated per call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxRuntimeBinding
{
    private const int Alignment = 64;

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue?[] _values;
    private readonly byte[][] _buffers;
    private readonly int[] _starts;
    private readonly int[] _bytes;
    private readonly int _inputCount;
    private readonly bool _synchronize;
    private int _disposed;
    private bool _checked;

    internal unsafe OnnxRuntimeBinding(OnnxRuntimeModel.SessionState state, OnnxRuntimeTensor[] inputs, OnnxRuntimeTensor[] outputs)
    {
        _session = state.Session;
        _synchronize = state.Accelerated;
        _inputCount = inputs.Length;
        int count = inputs.Length + outputs.Length;
        _values = new OrtValue[count];
        _buffers = new byte[count][];
        _starts = new int[count];
        _bytes = new int[count];
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();
        try
        {
            for (int k = 0; k < count; k++)
            {
                var tensor = k < inputs.Length ? inputs[k] : outputs[k - inputs.Length];
                if (k >= inputs.Length)
                {
                    int input = Array.FindIndex(inputs, i => i.Name == tensor.Name);
                    if (input >= 0)
                    {
                        // A graph input returned as an output: ONNX Runtime hands back the input value instead of
                        // writing the bound buffer, so the output reads the input's buffer.
                        _buffers[k] = _buffers[input];
                        _starts[k] = _starts[input];
                        _bytes[k] = _bytes[input];
                        continue;
                    }
                    int first = Array.FindIndex(outputs, o => o.Name == tensor.Name) + inputs.Length;
                    if (first < k)
                    {
                        // An output listed twice in the graph is bound once; its copies read the first one's buffer.
                        _buffers[k] = _buffers[first];
                        _starts[k] = _starts[first];
                        _bytes[k] = _bytes[first];
                        continue;
                    }
                }
                int size = tensor.ByteSize;
                // The pinned object heap keeps the buffer where it is, so the OrtValue's pointer stays valid.
                var buffer = GC.AllocateArray<byte>(Math.Max(size, 1) + Alignment, pinned: true);
                byte* data = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
                int start = (int)((Alignment - ((nuint)data & (Alignment - 1))) & (Alignment - 1));
                _buffers[k] = buffer;
                _starts[k] = start;
                _bytes[k] = size;
                var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, tensor.ElementType, tensor.ShapeArray, (IntPtr)(data + start), size);
                _values[k] = value;
                if (k < inputs.Length) _binding.BindInput(tensor.Name, value);
                else _binding.BindOutput(tensor.Name, value);
            }
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>The pinned buffer of input <paramref name="index"/> (graph order) as <typeparamref name="T"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Input<T>(int index) where T : unmanaged =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref _buffers[index][_starts[index]]), _bytes[index] / Unsafe.SizeOf<T>());

    /// <summary>
    /// The pinned buffer of output <paramref name="index"/> (graph order). An output listed twice in the graph
    /// is bound once; its later copies read the first one's buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Output<T>(int index) where T : unmanaged
    {
        int k = _inputCount + index;
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref _buffers[k][_starts[k]]), _bytes[k] / Unsafe.SizeOf<T>());
    }

    /// <summary>Runs the session on the bound buffers.</summary>
    public void Run()
    {
        _session.RunWithBinding(_runOptions, _binding);
        if (_synchronize) _binding.SynchronizeBoundOutputs();
        if (!_checked) CheckOutputsOnce();
    }

    /// <summary>
    /// After a thread's first run: ONNX Runtime writes computed outputs into the bound buffers, but an output it
    /// holds as a constant (an initializer, or a subgraph its optimizer folded) comes back as its own value. Such
    /// an output does not change from run to run, so its data is copied into the buffer once, here.
    /// </summary>
    private unsafe void CheckOutputsOnce()
    {
        _checked = true;
        using var values = _binding.GetOutputValues();
        int bound = 0;
        for (int k = _inputCount; k < _values.Length; k++)
        {
            if (_values[k] is null) continue; // an alias of an input or of an earlier output
            var value = values[bound++];
            var data = value.GetTensorMutableRawData();
            byte* returned = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data));
            byte* ours = (byte*)Unsafe.AsPointer(ref _buffers[k][_starts[k]]);
            if (returned != ours) data.Slice(0, Math.Min(data.Length, _bytes[k])).CopyTo(_buffers[k].AsSpan(_starts[k], _bytes[k]));
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var v in _values) v?.Dispose();
        _binding.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>A thread that ends drops its binding; this returns the native objects (the buffers are managed).</summary>
    ~OnnxRuntimeBinding() => Release();
}
