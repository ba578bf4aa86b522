/**
 * The model zoo: FastViT, MobileOne, MobileCLIP (image and text), ResNet50, MobileNetV2/V3,
 * DistilBERT and OPT-1.3B in the DSL, with synthetic weights and their published parameter counts.
 * @module
 */
export { type PublishedCount, type ZooBuildOptions, type ZooEntry, type ZooInput, type ZooModel, ZOO, ZOO_NAMES, buildZooModel, isZooModel, zooEntry, zooParameterCount } from './registry.js';
