import Datasets
import Imaging
import Model
import NeuralCore

// The types of lower layers that are part of Pipeline's own API: what an application (the
// command line) names when it asks Pipeline for something. An application imports Pipeline (and
// FileIO for files and settings) and nothing below; anything it needs beyond this list is a
// Pipeline function's job.

/// A loaded model (read-only; it knows its file's name and SHA-256).
public typealias NeRFModel = Model.NeRFModel
/// Errors about what a model can do ("has no encoder").
public typealias ModelError = Model.ModelError
/// The network that finds the object in a photo with a background.
public typealias MattingNetwork = Model.MattingNetwork
/// A 3D latent file.
public typealias LatentFile = Model.LatentFile
/// The light a photo was taken under (a lit field's key direction, key and sky colours).
public typealias ViewLight = Datasets.ViewLight
/// How a photo is framed (`invert --crop`).
public typealias CropMode = Imaging.CropMode

/// The ranks of a data-parallel run (`mpirun -np N nerfinv train ...`), or one process.
public typealias Communicator = NeuralCore.Communicator

/// Settings a command overlays with its preset and flags.
public typealias RefineSettings = Model.RefineSettings
public typealias TuneSettings = Model.TuneSettings
public typealias LayerSettings = Model.LayerSettings
public typealias TrainConfig = Model.TrainConfig
public typealias EncoderTrainConfig = Model.EncoderTrainConfig
public typealias MattingTrainConfig = Model.MattingTrainConfig
public typealias MeshSettings = Model.MeshSettings
