/* The C API from C99, linked against libhetrun alone: create, metadata, run (caller-owned and
 * library-owned tensors), plan, async, device listing and error reporting. Exit status 0 = pass. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hetrun/hetrun.h"

static int failures = 0;

#define EXPECT(cond)                                                      \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                         \
    }                                                                     \
  } while (0)

/* Expects success; prints and frees the error otherwise. */
#define OK(call)                                                           \
  do {                                                                     \
    hetrun_error_t* ok_error_ = (call);                                    \
    if (ok_error_ != NULL) {                                               \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, \
              hetrun_error_message(ok_error_));                            \
      hetrun_error_release(ok_error_);                                     \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

/* Expects an error with `code` whose message contains `text`. */
static void expect_error(hetrun_error_t* error, uint32_t code, const char* text, int line) {
  if (error == NULL) {
    fprintf(stderr, "line %d: expected an error containing '%s', got success\n", line, text);
    ++failures;
    return;
  }
  if (hetrun_error_code(error) != code || strstr(hetrun_error_message(error), text) == NULL) {
    fprintf(stderr, "line %d: expected code %u with '%s', got code %u: %s\n", line, code, text,
            hetrun_error_code(error), hetrun_error_message(error));
    ++failures;
  }
  hetrun_error_release(error);
}
#define EXPECT_ERROR(call, code, text) expect_error((call), (code), (text), __LINE__)

static const char* model_path(void) {
  return HETRUN_SOURCE_DIR "/models/tiny_cnn.onnx";
}

static float image[2 * 1 * 28 * 28];
static const int64_t image_dims[4] = {2, 1, 28, 28};

static void fill_image(void) {
  size_t i;
  for (i = 0; i < sizeof image / sizeof image[0]; ++i)
    image[i] = (float)((i * 7919u) % 256u) / 255.0f;
}

static void test_version_and_errors(void) {
  EXPECT(hetrun_get_api_version() == HETRUN_API_VERSION);
  EXPECT(hetrun_error_code(NULL) == HETRUN_ERROR_OK);
  EXPECT(strcmp(hetrun_error_message(NULL), "") == 0);
  /* Every release accepts NULL. */
  hetrun_error_release(NULL);
  hetrun_env_release(NULL);
  hetrun_session_options_release(NULL);
  hetrun_session_release(NULL);
  hetrun_tensor_release(NULL);
  hetrun_string_release(NULL);
}

static void test_devices(void) {
  hetrun_env_t* env = NULL;
  size_t count = 0, i;
  int found_cpu = 0;
  OK(hetrun_env_create(&env));
  OK(hetrun_env_device_count(env, &count));
  for (i = 0; i < count; ++i) {
    const char* name = NULL;
    const char* description = NULL;
    OK(hetrun_env_device_info(env, i, &name, &description));
    if (name != NULL && strcmp(name, "cpu") == 0) found_cpu = 1;
    EXPECT(description != NULL && strlen(description) > 0);
  }
  EXPECT(found_cpu);
  EXPECT_ERROR(hetrun_env_device_info(env, count, NULL, NULL), HETRUN_ERROR_INVALID_ARGUMENT,
               "out of range");
  hetrun_env_release(env);
}

static hetrun_session_t* create_session(void) {
  hetrun_session_options_t* options = NULL;
  hetrun_session_t* session = NULL;
  const char* devices[1] = {"cpu"};
  OK(hetrun_session_options_create(&options));
  OK(hetrun_session_options_set_devices(options, devices, 1));
  OK(hetrun_session_options_set_partition(options, "priority"));
  OK(hetrun_session_options_set_threads(options, 1));
  OK(hetrun_session_options_set_fallback(options, "cpu"));
  OK(hetrun_session_create(NULL, model_path(), options, &session));
  hetrun_session_options_release(options); /* the session does not need it */
  return session;
}

static void test_metadata(const hetrun_session_t* session) {
  size_t inputs = 0, outputs = 0;
  const char* name = NULL;
  uint32_t dtype = 0;
  int64_t rank = 0;
  int64_t dims[4] = {0, 0, 0, 0};
  OK(hetrun_session_input_count(session, &inputs));
  OK(hetrun_session_output_count(session, &outputs));
  EXPECT(inputs == 1 && outputs == 1);
  OK(hetrun_session_input_info(session, 0, &name, &dtype, &rank));
  EXPECT(name != NULL && strcmp(name, "image") == 0);
  EXPECT(dtype == HETRUN_TENSOR_FLOAT32);
  EXPECT(rank == 4);
  OK(hetrun_session_input_dims(session, 0, dims, 4));
  EXPECT(dims[0] == -1 && dims[1] == 1 && dims[2] == 28 && dims[3] == 28);
  OK(hetrun_session_output_info(session, 0, &name, &dtype, &rank));
  EXPECT(name != NULL && strcmp(name, "probabilities") == 0 && rank == 2);
  OK(hetrun_session_output_dims(session, 0, dims, 2));
  EXPECT(dims[0] == -1 && dims[1] == 10);
  EXPECT_ERROR(hetrun_session_input_info(session, 1, &name, NULL, NULL),
               HETRUN_ERROR_INVALID_ARGUMENT, "out of range");
}

/* Runs on the caller-owned image; returns a library-owned output (or NULL). */
static hetrun_tensor_t* run_once(const hetrun_session_t* session) {
  hetrun_tensor_t* input = NULL;
  hetrun_tensor_t* output = NULL;
  const char* names[1] = {"image"};
  const hetrun_tensor_t* inputs[1];
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, image_dims, 4, image, sizeof image, &input));
  inputs[0] = input;
  OK(hetrun_session_run(session, names, inputs, 1, NULL, 1, &output));
  hetrun_tensor_release(input);
  return output;
}

static void test_run(const hetrun_session_t* session) {
  hetrun_tensor_t* output = run_once(session);
  uint32_t dtype = 0;
  size_t rank = 0, bytes = 0;
  const int64_t* dims = NULL;
  void* data = NULL;
  float sum = 0;
  int i;
  EXPECT(output != NULL);
  if (output == NULL) return;
  OK(hetrun_tensor_info(output, &dtype, &rank, &dims));
  EXPECT(dtype == HETRUN_TENSOR_FLOAT32 && rank == 2 && dims[0] == 2 && dims[1] == 10);
  OK(hetrun_tensor_data(output, &data, &bytes));
  EXPECT(bytes == 2 * 10 * sizeof(float));
  for (i = 0; i < 10; ++i) sum += ((const float*)data)[i];
  EXPECT(fabsf(sum - 1.0f) < 1e-4f); /* softmax */

  { /* The same run into a caller-owned output gives the same numbers. */
    float mine[20];
    int64_t out_dims[2] = {2, 10};
    hetrun_tensor_t* slot = NULL;
    hetrun_tensor_t* input = NULL;
    const char* in_names[1] = {"image"};
    const char* out_names[1] = {"probabilities"};
    const hetrun_tensor_t* inputs[1];
    OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, out_dims, 2, mine, sizeof mine, &slot));
    OK(hetrun_tensor_create(HETRUN_TENSOR_FLOAT32, image_dims, 4, &input));
    { /* a library-owned input, filled through its data pointer */
      void* in_data = NULL;
      size_t in_bytes = 0;
      OK(hetrun_tensor_data(input, &in_data, &in_bytes));
      EXPECT(in_bytes == sizeof image);
      if (in_data != NULL && in_bytes == sizeof image) memcpy(in_data, image, sizeof image);
    }
    inputs[0] = input;
    OK(hetrun_session_run(session, in_names, inputs, 1, out_names, 1, &slot));
    EXPECT(memcmp(mine, data, sizeof mine) == 0);
    { /* a caller output of the wrong shape is refused */
      int64_t wrong_dims[2] = {1, 10};
      hetrun_tensor_t* wrong = NULL;
      OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, wrong_dims, 2, mine, 10 * sizeof(float),
                                   &wrong));
      EXPECT_ERROR(hetrun_session_run(session, in_names, inputs, 1, NULL, 1, &wrong),
                   HETRUN_ERROR_INVALID_ARGUMENT, "float32[2x10]");
      hetrun_tensor_release(wrong);
    }
    hetrun_tensor_release(slot);
    hetrun_tensor_release(input);
  }
  hetrun_tensor_release(output);
}

static void test_run_errors(const hetrun_session_t* session) {
  double wrong_type[2 * 1 * 28 * 28];
  hetrun_tensor_t* doubles = NULL;
  hetrun_tensor_t* floats = NULL;
  hetrun_tensor_t* output = NULL;
  const char* image_name[1] = {"image"};
  const char* bad_name[1] = {"img"};
  const char* no_output[1] = {"nope"};
  const hetrun_tensor_t* inputs[1];
  memset(wrong_type, 0, sizeof wrong_type);
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT64, image_dims, 4, wrong_type, sizeof wrong_type,
                               &doubles));
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, image_dims, 4, image, sizeof image, &floats));
  inputs[0] = doubles;
  EXPECT_ERROR(hetrun_session_run(session, image_name, inputs, 1, NULL, 1, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "expected float32, got float64");
  inputs[0] = floats;
  EXPECT_ERROR(hetrun_session_run(session, bad_name, inputs, 1, NULL, 1, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "input 'image' not given");
  EXPECT_ERROR(hetrun_session_run(session, image_name, inputs, 1, no_output, 1, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "no output 'nope'");
  EXPECT_ERROR(hetrun_session_run(session, image_name, inputs, 1, NULL, 2, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "output count");
  EXPECT(output == NULL); /* nothing allocated on failure */
  /* A byte count that does not match the dims. */
  EXPECT_ERROR(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, image_dims, 4, image, 12, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "bytes");
  EXPECT_ERROR(hetrun_tensor_create(HETRUN_TENSOR_STRING, image_dims, 4, &output),
               HETRUN_ERROR_INVALID_ARGUMENT, "numeric");
  hetrun_tensor_release(doubles);
  hetrun_tensor_release(floats);
}

static void test_create_errors(void) {
  hetrun_session_t* session = NULL;
  hetrun_session_options_t* options = NULL;
  const char* devices[1] = {"nosuchdevice"};
  EXPECT_ERROR(hetrun_session_create(NULL, "/nonexistent/model.onnx", NULL, &session),
               HETRUN_ERROR_NOT_FOUND, "/nonexistent/model.onnx");
  EXPECT(session == NULL);
  EXPECT_ERROR(hetrun_session_create(NULL, NULL, NULL, &session), HETRUN_ERROR_INVALID_ARGUMENT,
               "model_path");
  EXPECT_ERROR(hetrun_session_create_from_memory(NULL, "garbage", 7, NULL, &session),
               HETRUN_ERROR_INVALID_ARGUMENT, "<memory>");
  OK(hetrun_session_options_create(&options));
  EXPECT_ERROR(hetrun_session_options_set_partition(options, "sideways"),
               HETRUN_ERROR_INVALID_ARGUMENT, "sideways");
  EXPECT_ERROR(hetrun_session_options_set_fallback(options, "gpu"), HETRUN_ERROR_INVALID_ARGUMENT,
               "gpu");
  EXPECT_ERROR(hetrun_session_options_set_devices(options, devices, 0),
               HETRUN_ERROR_INVALID_ARGUMENT, "no devices");
  OK(hetrun_session_options_set_devices(options, devices, 1));
  EXPECT_ERROR(hetrun_session_create(NULL, model_path(), options, &session), HETRUN_ERROR_NOT_FOUND,
               "nosuchdevice");
  hetrun_session_options_release(options);
}

/* --cache-dir through the C API: a cold then a warm session give the reference outputs. */
static void test_cache_dir(const hetrun_tensor_t* expected) {
  int round;
  EXPECT_ERROR(hetrun_session_options_set_cache_dir(NULL, "dir"), HETRUN_ERROR_INVALID_ARGUMENT,
               "options");
  for (round = 0; round < 2; ++round) {
    hetrun_session_options_t* options = NULL;
    hetrun_session_t* session = NULL;
    const char* devices[1] = {"cpu"};
    OK(hetrun_session_options_create(&options));
    OK(hetrun_session_options_set_devices(options, devices, 1));
    OK(hetrun_session_options_set_partition(options, "priority"));
    OK(hetrun_session_options_set_threads(options, 1));
    OK(hetrun_session_options_set_fallback(options, "cpu"));
    OK(hetrun_session_options_set_cache_dir(options, "c_api_test_cache"));
    OK(hetrun_session_create(NULL, model_path(), options, &session));
    hetrun_session_options_release(options);
    if (session != NULL) {
      hetrun_tensor_t* output = run_once(session);
      void* a = NULL;
      void* b = NULL;
      size_t bytes_a = 0, bytes_b = 0;
      OK(hetrun_tensor_data(output, &a, &bytes_a));
      OK(hetrun_tensor_data((hetrun_tensor_t*)expected, &b, &bytes_b));
      EXPECT(bytes_a == bytes_b && a != NULL && b != NULL && memcmp(a, b, bytes_a) == 0);
      hetrun_tensor_release(output);
    }
    hetrun_session_release(session);
  }
}

static void test_create_from_memory(const hetrun_tensor_t* expected) {
  FILE* file = fopen(model_path(), "rb");
  long size;
  char* bytes;
  hetrun_session_t* session = NULL;
  EXPECT(file != NULL);
  if (file == NULL) return;
  fseek(file, 0, SEEK_END);
  size = ftell(file);
  fseek(file, 0, SEEK_SET);
  bytes = (char*)malloc((size_t)size);
  EXPECT(fread(bytes, 1, (size_t)size, file) == (size_t)size);
  fclose(file);
  OK(hetrun_session_create_from_memory(NULL, bytes, (size_t)size, NULL, &session));
  free(bytes); /* the session keeps its own copy */
  if (session != NULL) {
    hetrun_tensor_t* output = run_once(session);
    void* a = NULL;
    void* b = NULL;
    size_t bytes_a = 0, bytes_b = 0;
    OK(hetrun_tensor_data(output, &a, &bytes_a));
    OK(hetrun_tensor_data((hetrun_tensor_t*)expected, &b, &bytes_b));
    EXPECT(bytes_a == bytes_b && a != NULL && b != NULL && memcmp(a, b, bytes_a) == 0);
    hetrun_tensor_release(output);
  }
  hetrun_session_release(session);
}

static void test_plan(const hetrun_session_t* session) {
  char* json = NULL;
  OK(hetrun_session_plan_json(session, &json));
  EXPECT(json != NULL && strstr(json, "\"parts\"") != NULL && strstr(json, "\"cpu\"") != NULL);
  hetrun_string_release(json);
}

/* ---- async ---- */
struct async_result {
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;
  int done;
  int failed;
  float first;
  pthread_t thread;
};

static void on_done(void* user_data, hetrun_error_t* error, hetrun_tensor_t** outputs,
                    size_t count) {
  struct async_result* r = (struct async_result*)user_data;
  pthread_mutex_lock(&r->mutex);
  r->thread = pthread_self();
  if (error != NULL || count != 1) {
    r->failed = 1;
  } else {
    void* data = NULL;
    hetrun_error_t* e = hetrun_tensor_data(outputs[0], &data, NULL);
    if (e == NULL) r->first = ((const float*)data)[0];
    hetrun_error_release(e);
  }
  if (error != NULL) r->failed = (int)hetrun_error_code(error);
  hetrun_error_release(error);
  if (count > 0) hetrun_tensor_release(outputs[0]);
  r->done = 1;
  pthread_cond_signal(&r->done_cond);
  pthread_mutex_unlock(&r->mutex);
}

static void wait_for(struct async_result* r) {
  pthread_mutex_lock(&r->mutex);
  while (!r->done) pthread_cond_wait(&r->done_cond, &r->mutex);
  pthread_mutex_unlock(&r->mutex);
}

static void test_async(const hetrun_session_t* session, float expected_first) {
  struct async_result ok_run, bad_run;
  hetrun_tensor_t* input = NULL;
  hetrun_tensor_t* wrong = NULL;
  double zeros[2 * 1 * 28 * 28];
  const char* names[1] = {"image"};
  const hetrun_tensor_t* inputs[1];
  memset(&ok_run, 0, sizeof ok_run);
  memset(&bad_run, 0, sizeof bad_run);
  memset(zeros, 0, sizeof zeros);
  pthread_mutex_init(&ok_run.mutex, NULL);
  pthread_cond_init(&ok_run.done_cond, NULL);
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, image_dims, 4, image, sizeof image, &input));
  inputs[0] = input;
  OK(hetrun_session_run_async(session, names, inputs, 1, NULL, 1, on_done, &ok_run));
  wait_for(&ok_run);
  EXPECT(!ok_run.failed);
  EXPECT(ok_run.first == expected_first);
  EXPECT(!pthread_equal(ok_run.thread, pthread_self())); /* ran on a library thread */

  /* A run that fails on its thread reports through the callback. */
  pthread_mutex_init(&bad_run.mutex, NULL);
  pthread_cond_init(&bad_run.done_cond, NULL);
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT64, image_dims, 4, zeros, sizeof zeros, &wrong));
  inputs[0] = wrong;
  OK(hetrun_session_run_async(session, names, inputs, 1, NULL, 1, on_done, &bad_run));
  wait_for(&bad_run);
  EXPECT(bad_run.failed == (int)HETRUN_ERROR_INVALID_ARGUMENT);
  /* Errors found before starting come back at once, and no callback follows. */
  EXPECT_ERROR(hetrun_session_run_async(session, names, inputs, 1, NULL, 1, NULL, NULL),
               HETRUN_ERROR_INVALID_ARGUMENT, "callback");
  hetrun_tensor_release(input);
  hetrun_tensor_release(wrong);
}

/* Several async runs in flight, then release: release waits for them. */
static void test_release_waits_for_async(void) {
  enum { kRuns = 4 };
  struct async_result runs[kRuns];
  hetrun_session_t* session = create_session();
  hetrun_tensor_t* input = NULL;
  const char* names[1] = {"image"};
  const hetrun_tensor_t* inputs[1];
  int i;
  OK(hetrun_tensor_create_over(HETRUN_TENSOR_FLOAT32, image_dims, 4, image, sizeof image, &input));
  inputs[0] = input;
  for (i = 0; i < kRuns; ++i) {
    memset(&runs[i], 0, sizeof runs[i]);
    pthread_mutex_init(&runs[i].mutex, NULL);
    pthread_cond_init(&runs[i].done_cond, NULL);
    OK(hetrun_session_run_async(session, names, inputs, 1, NULL, 1, on_done, &runs[i]));
  }
  hetrun_session_release(session);
  for (i = 0; i < kRuns; ++i) {
    EXPECT(runs[i].done); /* set before release returned */
    EXPECT(!runs[i].failed);
  }
  hetrun_tensor_release(input);
}

int main(void) {
  hetrun_session_t* session;
  hetrun_tensor_t* reference;
  fill_image();
  test_version_and_errors();
  test_devices();
  test_create_errors();
  session = create_session();
  if (session == NULL) {
    fprintf(stderr, "cannot create a session on %s\n", model_path());
    return 1;
  }
  test_metadata(session);
  test_run(session);
  test_run_errors(session);
  test_plan(session);
  reference = run_once(session);
  if (reference != NULL) {
    void* data = NULL;
    OK(hetrun_tensor_data(reference, &data, NULL));
    test_async(session, ((const float*)data)[0]);
    test_create_from_memory(reference);
    test_cache_dir(reference);
  }
  hetrun_tensor_release(reference);
  hetrun_session_release(session);
  test_release_waits_for_async();
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
